import { describe, expect, it } from 'vitest';
import { createReadGate, type Pausable } from '../../../../services/operational/gateway/read-gate.ts';

// Regression: a WebSocket that connected while backpressure was on was read from anyway, because
// only the sockets present when the pause began were paused.
const socket = () => {
  const calls: string[] = [];
  const s: Pausable & { calls: string[] } = { calls, pause: () => void calls.push('pause'), resume: () => void calls.push('resume') };
  return s;
};

describe('read gate', () => {
  it('pauses a socket admitted during backpressure, and resumes it with the others', () => {
    const members = new Set<ReturnType<typeof socket>>();
    const gate = createReadGate(() => members);
    const early = socket();
    members.add(early);
    gate.admit(early);
    expect(early.calls).toEqual([]);
    gate.set(true);
    expect(early.calls).toEqual(['pause']);
    const late = socket();
    members.add(late);
    gate.admit(late);
    expect(late.calls).toEqual(['pause']);
    gate.set(false);
    expect(early.calls).toEqual(['pause', 'resume']);
    expect(late.calls).toEqual(['pause', 'resume']);
    const after = socket();
    members.add(after);
    gate.admit(after);
    expect(after.calls).toEqual([]);
  });

  it('does nothing when told the state it is already in', () => {
    const s = socket();
    const gate = createReadGate(() => [s]);
    gate.set(false);
    gate.set(true);
    gate.set(true);
    expect(s.calls).toEqual(['pause']);
    expect(gate.paused()).toBe(true);
  });
});
