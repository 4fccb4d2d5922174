import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFanout } from '../../../../services/operational/gateway/fanout.ts';

describe('fan-out of forecast bundles', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('spreads a burst over the jitter window and never exceeds the rate', () => {
    const delivered: Array<{ id: number; at: number }> = [];
    let r = 0;
    const fanout = createFanout<number>({
      ratePerSec: 1000, jitterMs: 2000, tickMs: 20,
      random: () => ((r = (r * 1103515245 + 12345) % 2 ** 31) / 2 ** 31), now: () => Date.now(),
      deliver: (id) => delivered.push({ id, at: Date.now() }),
    });
    const t0 = Date.now();
    for (let i = 0; i < 3000; i++) fanout.enqueue(i);
    vi.advanceTimersByTime(10_000);
    fanout.stop();
    expect(new Set(delivered.map((d) => d.id)).size).toBe(3000);
    const perSecond = new Map<number, number>();
    for (const d of delivered) perSecond.set(Math.floor((d.at - t0) / 1000), (perSecond.get(Math.floor((d.at - t0) / 1000)) ?? 0) + 1);
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(1000);
    // Jitter: not everything in the first tick, and the first second gets only its share.
    expect(perSecond.get(0) ?? 0).toBeLessThan(3000);
    expect(delivered.at(-1)?.at ?? 0).toBeGreaterThan(t0 + 2000);
  });
});
