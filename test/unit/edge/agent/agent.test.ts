import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SiteCommand } from '../../../../services/platform/events.ts';
import { createAgentState, decide, defaultAgentConfig, onBundle, onCommand, type AgentState } from '../../../../services/edge/agent/agent.ts';
import { touTariff } from '../../../../services/edge/agent/tariff.ts';
import { bundle, DAY0, eveningLoadKw, HOUR, spec, sunnySolarKw } from './fixtures.ts';

const config = defaultAgentConfig(touTariff({ utcOffsetHours: -8 }));
const fresh = (): AgentState => createAgentState(spec, config);
const FIVE_MIN = 5 * 60_000;
const command = (overrides: Partial<SiteCommand> = {}): SiteCommand => ({
  commandId: 'cmd-1', eventId: 'evt-1', siteId: spec.siteId, kind: 'DISCHARGE', powerKw: 3, reservePct: null,
  startMs: DAY0 + HOUR, endMs: DAY0 + 2 * HOUR, expiresAtMs: DAY0 + 2 * HOUR, issuedAtMs: DAY0, ...overrides,
});
const at = (hourOfDay: number, socPct: number) => ({ socPct, solarKw: sunnySolarKw(hourOfDay), loadKw: eveningLoadKw(hourOfDay) });

describe('edge agent: bundles and fallback', () => {
  it('keeps only a newer bundle for its own site', () => {
    const s1 = onBundle(fresh(), bundle({ issuedAtMs: DAY0 }), DAY0);
    expect(s1.accepted).toBe(true);
    const same = onBundle(s1.state, bundle({ issuedAtMs: DAY0, runId: 'again' }), DAY0);
    expect(same.accepted).toBe(false);
    expect(same.state.bundle?.runId).toBe('run-1');
    expect(onBundle(s1.state, bundle({ issuedAtMs: DAY0 - 1 }), DAY0).accepted).toBe(false);
    expect(onBundle(s1.state, bundle({ issuedAtMs: DAY0 + 1, siteId: 'site-999999' }), DAY0).accepted).toBe(false);
    const newer = onBundle(s1.state, bundle({ issuedAtMs: DAY0 + 1, runId: 'run-2' }), DAY0);
    expect(newer.accepted).toBe(true);
    expect(newer.state.bundle?.runId).toBe('run-2');
  });

  it('without a bundle runs self-consumption: the battery covers load - solar within its limits', () => {
    const d = decide(fresh(), DAY0 + 19 * HOUR, { socPct: 60, solarKw: 0, loadKw: 2.6 });
    expect(d.mode).toBe('SELF_CONSUMPTION');
    expect(d.setpointKw).toBeCloseTo(2.6, 9);
    expect(decide(fresh(), DAY0, { socPct: 60, solarKw: 9, loadKw: 0.5 }).setpointKw).toBeCloseTo(-5, 9);
    expect(decide(fresh(), DAY0, { socPct: 20, solarKw: 0, loadKw: 2 }).setpointKw).toBe(0); // at the reserve
  });

  it('falls back to self-consumption whenever the bundle is stale or its horizon is over (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 72 * HOUR }), fc.double({ min: 20, max: 100, noNaN: true }), fc.double({ min: 0, max: 8, noNaN: true }), fc.double({ min: 0.1, max: 6, noNaN: true }), (ageMs, soc, solar, load) => {
      const staleAfter = config.staleAfterMs;
      const issued = DAY0;
      const b = bundle({ issuedAtMs: issued, validFromMs: issued }, 12);
      const now = issued + ageMs;
      const state = onBundle(fresh(), b, issued).state;
      const d = decide(state, now, { socPct: soc, solarKw: solar, loadKw: load });
      const noBundle = decide(fresh(), now, { socPct: soc, solarKw: solar, loadKw: load });
      if (ageMs > staleAfter || now >= issued + 12 * HOUR) {
        expect(d.mode).toBe('SELF_CONSUMPTION');
        expect(d.setpointKw).toBe(noBundle.setpointKw);
      } else {
        expect(d.mode).not.toBe('SELF_CONSUMPTION');
      }
    }));
  });

  it('still honours a known storm watch when its bundle has gone stale', () => {
    const storm = { startsAtMs: DAY0 + 10 * HOUR, endsAtMs: DAY0 + 14 * HOUR, severity: 'WATCH' as const };
    const s = onBundle(fresh(), bundle({ stormWatch: storm }), DAY0).state;
    const early = decide(s, DAY0 + 7 * HOUR, { socPct: 60, solarKw: 0, loadKw: 1 });
    expect(early.mode).toBe('SELF_CONSUMPTION'); // stale (over 6 h), storm not close yet
    const close = decide(s, DAY0 + 8 * HOUR, { socPct: 60, solarKw: 0, loadKw: 1 });
    expect(close.mode).toBe('BACKUP');
    expect(close.setpointKw).toBeCloseTo(-5, 9);
    const during = decide(s, DAY0 + 12 * HOUR, { socPct: 100, solarKw: 0, loadKw: 1 });
    expect(during.setpointKw).toBe(0);
    expect(decide(s, DAY0 + 14 * HOUR, { socPct: 100, solarKw: 0, loadKw: 1 }).mode).toBe('SELF_CONSUMPTION');
  });

  it('plans on a fresh bundle, keeps the plan while on track, and re-plans on drift or a new bundle', () => {
    let s = onBundle(fresh(), bundle(), DAY0).state;
    const d1 = decide(s, DAY0 + 10 * 60_000, at(0, 50));
    expect(d1.mode).toBe('COST_OPTIMIZED');
    expect(d1.state.replans).toBe(1);
    const expected = d1.state.plan?.socPct[1] ?? 0;
    const d2 = decide(d1.state, DAY0 + HOUR + 60_000, at(1, expected));
    expect(d2.state.replans).toBe(1);
    const d3 = decide(d2.state, DAY0 + HOUR + 2 * 60_000, at(1, expected + 10));
    expect(d3.state.replans).toBe(2);
    s = onBundle(d3.state, bundle({ issuedAtMs: DAY0 + HOUR + 3 * 60_000 }), DAY0 + HOUR).state;
    expect(s.plan).toBeNull();
    expect(decide(s, DAY0 + HOUR + 4 * 60_000, at(1, expected + 10)).state.replans).toBe(3);
  });
});

describe('edge agent: commands', () => {
  it('accepts a valid command and dispatches it in its window, then completes it', () => {
    const r = onCommand(onBundle(fresh(), bundle(), DAY0).state, command(), DAY0);
    expect(r.acks).toEqual([{ commandId: 'cmd-1', status: 'ACCEPTED', reason: null, ackedAtMs: DAY0 }]);
    const before = decide(r.state, DAY0 + 30 * 60_000, at(0, 80));
    expect(before.mode).toBe('COST_OPTIMIZED');
    const during = decide(before.state, DAY0 + 90 * 60_000, at(1, 80));
    expect(during.mode).toBe('DISPATCH');
    expect(during.setpointKw).toBeCloseTo(3, 9);
    expect(during.activeCommandId).toBe('cmd-1');
    const after = decide(during.state, DAY0 + 2 * HOUR, at(2, 70));
    expect(after.acks).toEqual([{ commandId: 'cmd-1', status: 'COMPLETED', reason: null, ackedAtMs: DAY0 + 2 * HOUR }]);
    expect(after.mode).toBe('COST_OPTIMIZED');
    expect(decide(after.state, DAY0 + 2 * HOUR + FIVE_MIN, at(2, 70)).acks).toEqual([]);
  });

  it('rejects invalid, foreign, expired and unsafe commands with a reason', () => {
    const cases: Array<[Partial<SiteCommand>, RegExp]> = [
      [{ siteId: 'site-000002' }, /^invalid: command for site-000002/],
      [{ powerKw: -1 }, /^invalid: powerKw/],
      [{ powerKw: Number.NaN }, /^invalid: powerKw/],
      [{ endMs: DAY0 + HOUR }, /^invalid: endMs/],
      [{ reservePct: 120 }, /^invalid: reservePct/],
      [{ kind: 'HOLD_RESERVE', reservePct: null }, /^invalid: HOLD_RESERVE/],
      [{ expiresAtMs: DAY0 - 1 }, /^expired/],
      [{ reservePct: 2 }, /^unsafe: reservePct 2/],
    ];
    for (const [o, reason] of cases) {
      const r = onCommand(fresh(), command(o), DAY0);
      expect(r.acks).toHaveLength(1);
      expect(r.acks[0]?.status).toBe('REJECTED');
      expect(r.acks[0]?.reason).toMatch(reason);
      expect(r.state.commands).toHaveLength(0);
    }
  });

  it('clamps too much power, saying so, and treats a redelivered command as the same one', () => {
    const r = onCommand(fresh(), command({ powerKw: 9 }), DAY0);
    expect(r.acks[0]?.status).toBe('ACCEPTED');
    expect(r.acks[0]?.reason).toMatch(/clamped to the device limit of 5 kW/);
    const again = onCommand(r.state, command({ powerKw: 9 }), DAY0 + 1);
    expect(again.state.commands).toHaveLength(1);
    expect(again.acks[0]?.status).toBe('ACCEPTED');
    expect(decide(again.state, DAY0 + 90 * 60_000, at(1, 80)).setpointKw).toBeCloseTo(5, 9);
    const rejected = onCommand(fresh(), command({ siteId: 'x' }), DAY0);
    expect(onCommand(rejected.state, command({ siteId: 'x' }), DAY0 + 5).acks[0]?.status).toBe('REJECTED');
  });

  it('keeps the site reserve under a DISCHARGE without reservePct and goes lower only as far as one names', () => {
    const plain = onCommand(fresh(), command({ powerKw: 5 }), DAY0).state;
    expect(decide(plain, DAY0 + 90 * 60_000, at(1, 20)).setpointKw).toBe(0);
    const deep = onCommand(fresh(), command({ powerKw: 5, reservePct: 10 }), DAY0).state;
    expect(decide(deep, DAY0 + 90 * 60_000, at(1, 20)).setpointKw).toBeCloseTo(5, 9);
    expect(decide(deep, DAY0 + 90 * 60_000, at(1, 10)).setpointKw).toBe(0);
  });

  it('RELEASE ends the commands of its event; HOLD_RESERVE charges up to its reserve', () => {
    let s = onCommand(fresh(), command(), DAY0).state;
    s = onCommand(s, command({ commandId: 'cmd-2', eventId: 'evt-2' }), DAY0).state;
    const rel = onCommand(s, command({ commandId: 'rel-1', kind: 'RELEASE', eventId: 'evt-1', powerKw: 0 }), DAY0 + 10);
    expect(rel.acks.map((a) => [a.commandId, a.status])).toEqual([['rel-1', 'ACCEPTED'], ['cmd-1', 'COMPLETED'], ['rel-1', 'COMPLETED']]);
    expect(rel.state.commands.map((a) => a.command.commandId)).toEqual(['cmd-2']);
    const hold = onCommand(fresh(), command({ commandId: 'h', kind: 'HOLD_RESERVE', reservePct: 80, powerKw: 2 }), DAY0).state;
    const d = decide(hold, DAY0 + 90 * 60_000, at(1, 50));
    expect(d.mode).toBe('BACKUP');
    expect(d.setpointKw).toBeCloseTo(-2, 9);
    expect(decide(hold, DAY0 + 90 * 60_000, { socPct: 80, solarKw: 0, loadKw: 2 }).setpointKw).toBe(0);
  });
});
