import { describe, expect, it } from 'vitest';
import type { GridEvent } from '../../../../services/platform/events.ts';
import { allocate, type SiteInput } from '../../../../services/operational/control/allocate-dispatch.ts';
import { allocationRequestOf, commandsOf, intentOf, reallocationCommands, releasesOf } from '../../../../services/operational/control/event-commands.ts';

const ev = (extra: Partial<GridEvent> = {}): GridEvent => ({
  eventId: 'evt-1', kind: 'VPP_DISPATCH', scopeAssetId: 'feeder-1', targetMw: 0.006, startMs: 1_000, endMs: 3_601_000,
  issuedBy: 'operator:alice', issuedAtMs: 900, cancelsEventId: null, reason: null, weatherCellIds: [], ...extra,
});
const site = (i: number): SiteInput => ({
  siteId: `s${i}`, online: true, socPct: 100, batteryKwh: null, maxChargeKw: 5, maxDischargeKw: 5, backupReservePct: 20, weatherCellId: null, batteryKw: 0, gridKw: 0,
});

describe('event commands', () => {
  it('maps event kinds to intents, a negative target to charging', () => {
    expect(intentOf(ev())).toBe('DISCHARGE');
    expect(intentOf(ev({ targetMw: -1 }))).toBe('CHARGE');
    expect(intentOf(ev({ kind: 'DEMAND_PEAK' }))).toBe('REDUCE_IMPORT');
    expect(intentOf(ev({ kind: 'STORM_WATCH' }))).toBe('HOLD_FULL');
    expect(intentOf(ev({ kind: 'OUTAGE' }))).toBe('BACKUP');
    expect(allocationRequestOf(ev({ kind: 'CANCEL' }))).toBeNull();
    expect(allocationRequestOf(ev({ targetMw: -0.5 }))?.targetKw).toBe(500);
  });

  it('issues deterministic commands for the event window that expire when it ends', () => {
    const e = ev();
    const req = allocationRequestOf(e);
    if (req === null) throw new Error('no request');
    const cmds = commandsOf(e, 0, allocate(req, [site(0), site(1)], new Map()), 2_000);
    expect(cmds.map((c) => [c.commandId, c.kind, c.powerKw, c.startMs, c.endMs, c.expiresAtMs, c.issuedAtMs])).toEqual([
      ['evt-1.0.s0', 'DISCHARGE', 3, 2_000, 3_601_000, 3_601_000, 2_000],
      ['evt-1.0.s1', 'DISCHARGE', 3, 2_000, 3_601_000, 3_601_000, 2_000],
    ]);
  });

  it('release commands stay valid past an event that just ended', () => {
    const [r] = releasesOf(ev(), 2, ['s0'], 3_600_500);
    expect(r?.kind).toBe('RELEASE');
    expect(r?.commandId).toBe('evt-1.2r.s0');
    expect(r?.endMs).toBeGreaterThan(3_600_500 + 60_000);
  });

  it('re-allocation releases dropped sites and re-commands only sites whose share changed', () => {
    const e = ev({ targetMw: 0.009 });
    const req = allocationRequestOf(e);
    if (req === null) throw new Error('no request');
    const sites = [site(0), site(1), site(2)];
    const first = allocate(req, sites, new Map());
    const current = new Map(first.shares.map((s) => [s.siteId, s.powerKw]));
    const next = allocate(req, sites, new Map(), new Set(['s2']));
    const cmds = reallocationCommands(e, 1, current, next, 5_000);
    expect(cmds.map((c) => [c.siteId, c.kind, c.powerKw])).toEqual([
      ['s0', 'RELEASE', 0], ['s1', 'RELEASE', 0], ['s2', 'RELEASE', 0], ['s0', 'DISCHARGE', 4.5], ['s1', 'DISCHARGE', 4.5],
    ]);
    expect(reallocationCommands(e, 2, new Map(next.shares.map((s) => [s.siteId, s.powerKw])), next, 6_000)).toEqual([]);
  });
});
