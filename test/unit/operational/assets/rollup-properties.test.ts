/**
 * Property: after any sequence of telemetry, duplicated and replayed telemetry, duplicated and
 * replayed rollups, staleness ticks and shard crashes (restore from the changelog, uncommitted input
 * redelivered), every parent's aggregate equals the sum of its children's, and the fleet's equals
 * the sum over devices recomputed from each device's latest telemetry.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Aggregate, AssetDefinition, AssetState, RollupDelta, Telemetry } from '../../../../services/platform/events.ts';
import { AGGREGATE_FIELDS, deviceAggregate, sumAggregates } from '../../../../services/operational/assets/aggregate.ts';
import { createHierarchy, type Hierarchy } from '../../../../services/operational/assets/hierarchy.ts';
import { createParentShard, createSiteShard, type ParentShard, type SiteShard } from '../../../../services/operational/assets/shard.ts';

const P = 3;
const STALE = 10_000;
const SITES = 8;

const def = (assetId: string, kind: AssetDefinition['kind'], parentId: string | null, extra: Partial<AssetDefinition> = {}): AssetDefinition => ({
  assetId, kind, parentId, name: assetId, latitudeDeg: null, longitudeDeg: null, weatherCellId: null, gridRegionId: null, solarKwp: null, batteryKwh: null,
  maxChargeKw: null, maxDischargeKw: null, backupReservePct: null, customerId: null, updatedAtMs: 0, deleted: false, credentialsRevokedBeforeMs: null, ...extra,
});

/** fleet > 2 regions > 1 substation each > 2 feeders each > sites round-robin > one device each. */
export const buildHierarchy = (sites: number): Hierarchy => {
  const h = createHierarchy();
  h.apply('fleet', def('fleet', 'FLEET', null));
  for (const r of [0, 1]) {
    h.apply(`region-${r}`, def(`region-${r}`, 'REGION', 'fleet'));
    h.apply(`sub-${r}`, def(`sub-${r}`, 'SUBSTATION', `region-${r}`));
    for (const f of [0, 1]) h.apply(`feeder-${r}-${f}`, def(`feeder-${r}-${f}`, 'FEEDER', `sub-${r}`));
  }
  for (let i = 0; i < sites; i++) {
    const limits = { batteryKwh: 10 + i, maxChargeKw: 5, maxDischargeKw: 4 + (i % 3), backupReservePct: 20 };
    h.apply(`site-${i}`, def(`site-${i}`, 'SITE', `feeder-${i % 2}-${(i >> 1) % 2}`, limits));
    h.apply(`dev-${i}`, def(`dev-${i}`, 'DEVICE', `site-${i}`, limits));
  }
  return h;
};

const hash = (s: string): number => [...s].reduce((a, c) => (a * 31 + c.charCodeAt(0)) >>> 0, 7) % P;

type Op =
  | { op: 'telemetry'; site: number; soc: number; solar: number; battery: number; alarms: number }
  | { op: 'replayTelemetry'; site: number }
  | { op: 'flush' }
  | { op: 'dupRollup'; pick: number }
  | { op: 'crashSite'; p: number }
  | { op: 'crashParent'; p: number }
  | { op: 'advance'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('telemetry' as const), site: fc.nat(SITES - 1), soc: fc.double({ min: 0, max: 100, noNaN: true }), solar: fc.double({ min: 0, max: 8, noNaN: true }), battery: fc.double({ min: -5, max: 5, noNaN: true }), alarms: fc.nat(2) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('replayTelemetry' as const), site: fc.nat(SITES - 1) }) },
  { weight: 3, arbitrary: fc.constant({ op: 'flush' as const }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('dupRollup' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('crashSite' as const), p: fc.nat(P - 1) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('crashParent' as const), p: fc.nat(P - 1) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 100, max: 15_000 }) }) },
);

/** The Kafka topics and consumers of the shell, modelled in memory: logs, committed positions, changelog. */
const simulate = (ops: readonly Op[], h: Hierarchy) => {
  let now = 1_000_000;
  const telemetryLog: Telemetry[][] = Array.from({ length: P }, () => []);
  const telemetryCommitted = Array<number>(P).fill(0);
  const rollupLog: RollupDelta[][] = Array.from({ length: P }, () => []);
  const rollupCommitted = Array<number>(P).fill(0);
  const rollupRead = Array<number>(P).fill(0);
  const changelog: AssetState[][] = Array.from({ length: P }, () => []);
  const seq = new Map<number, number>();
  const sent = new Map<number, Telemetry[]>();
  let siteShards: SiteShard[] = Array.from({ length: P }, (_, p) => createSiteShard(p, h, STALE));
  let parentShards: ParentShard[] = Array.from({ length: P }, (_, p) => createParentShard(p, h));

  const emit = (p: number, out: { states: AssetState[]; rollups: RollupDelta[] }): void => {
    changelog[p]?.push(...out.states);
    for (const r of out.rollups) rollupLog[hash(r.parentId)]?.push(r);
  };
  const flush = (): void => {
    for (const s of siteShards) {
      emit(s.partition, s.drain(now));
      telemetryCommitted[s.partition] = telemetryLog[s.partition]?.length ?? 0;
    }
    for (const s of parentShards) {
      const log = rollupLog[s.partition] ?? [];
      while ((rollupRead[s.partition] ?? 0) < log.length) {
        const r = log[rollupRead[s.partition] ?? 0];
        rollupRead[s.partition] = (rollupRead[s.partition] ?? 0) + 1;
        if (r !== undefined) s.handleRollup(r);
      }
      emit(s.partition, s.drain(now));
      rollupCommitted[s.partition] = rollupRead[s.partition] ?? 0;
    }
  };
  const deliver = (t: Telemetry): void => {
    const p = hash(t.siteId);
    telemetryLog[p]?.push(t);
    siteShards[p]?.handleTelemetry(t, now);
  };

  for (const o of ops) {
    if (o.op === 'telemetry') {
      const n = (seq.get(o.site) ?? 0) + 1;
      seq.set(o.site, n);
      const t: Telemetry = {
        deviceId: `dev-${o.site}`, siteId: `site-${o.site}`, seq: n, measuredAtMs: now, receivedAtMs: now, socPct: o.soc, batteryKw: o.battery,
        solarKw: o.solar, loadKw: 1, gridKw: 1 - o.solar - o.battery, batteryTempC: 20, mode: 'SELF_CONSUMPTION', alarms: Array.from({ length: o.alarms }, (_, k) => `A${k}`), activeCommandId: null,
      };
      sent.set(o.site, [...(sent.get(o.site) ?? []), t]);
      deliver(t);
    } else if (o.op === 'replayTelemetry') {
      const old = sent.get(o.site)?.[0];
      if (old !== undefined) deliver({ ...old });
    } else if (o.op === 'flush') flush();
    else if (o.op === 'dupRollup') {
      const all = rollupLog.flat();
      const r = all[o.pick % Math.max(1, all.length)];
      if (r !== undefined) rollupLog[hash(r.parentId)]?.push({ ...r });
    } else if (o.op === 'crashSite') {
      const s = createSiteShard(o.p, h, STALE);
      s.restore(changelog[o.p] ?? []);
      s.resync();
      for (const t of (telemetryLog[o.p] ?? []).slice(telemetryCommitted[o.p])) s.handleTelemetry(t, now);
      siteShards = siteShards.map((x, i) => (i === o.p ? s : x));
    } else if (o.op === 'crashParent') {
      const s = createParentShard(o.p, h);
      s.restore(changelog[o.p] ?? []);
      s.resync();
      rollupRead[o.p] = rollupCommitted[o.p] ?? 0;
      parentShards = parentShards.map((x, i) => (i === o.p ? s : x));
    } else {
      now += o.ms;
      for (const s of siteShards) s.tick(now);
    }
  }
  // The shell's periodic tick runs on every shard it owns, restored ones included.
  for (const s of siteShards) s.tick(now);
  for (let i = 0; i < 6; i++) flush();
  const stateOf = (id: string): AssetState | undefined => [...siteShards, ...parentShards].map((s) => s.get(id)).find((s) => s !== undefined);
  return { now, sent, stateOf };
};

const close = (a: Aggregate, b: Aggregate): boolean => AGGREGATE_FIELDS.every((f) => Math.abs(a[f] - b[f]) <= 1e-6 * (1 + Math.abs(b[f])));

/** The fleet aggregate from first principles: each device's newest frame, online by the staleness window. */
const expectedFleet = (h: Hierarchy, sent: Map<number, Telemetry[]>, now: number): Aggregate =>
  sumAggregates(
    [...sent.entries()].map(([site, frames]) => {
      const t = frames.at(-1);
      const online = t !== undefined && now - t.receivedAtMs < STALE;
      const m = t === undefined ? null : { socPct: t.socPct, batteryKw: t.batteryKw, solarKw: t.solarKw, loadKw: t.loadKw, gridKw: t.gridKw, alarmCount: t.alarms.length };
      return deviceAggregate(m, h.limitsOf(`dev-${site}`), online);
    }),
  );

describe('rollups', () => {
  it('equal the sum of the children after any sequence, duplicates, replays and crashes included', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 120 }), (ops) => {
        const h = buildHierarchy(SITES);
        const { now, sent, stateOf } = simulate(ops, h);
        for (const parent of ['fleet', 'region-0', 'region-1', 'sub-0', 'sub-1', 'feeder-0-0', 'feeder-0-1', 'feeder-1-0', 'feeder-1-1']) {
          const children = h.childrenOf(parent).flatMap((c) => stateOf(c)?.aggregate ?? []);
          const own = stateOf(parent)?.aggregate;
          if (children.length === 0) continue;
          expect(own !== undefined && close(own, sumAggregates(children)), `${parent}`).toBe(true);
        }
        const fleet = stateOf('fleet')?.aggregate;
        if (sent.size > 0) expect(fleet !== undefined && close(fleet, expectedFleet(h, sent, now))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('negative control: a parent that adds every delivered delta (no versions) double counts a duplicate', () => {
    const h = buildHierarchy(2);
    const site = createSiteShard(0, h, STALE);
    const t: Telemetry = { deviceId: 'dev-0', siteId: 'site-0', seq: 1, measuredAtMs: 0, receivedAtMs: 0, socPct: 50, batteryKw: 1, solarKw: 2, loadKw: 3, gridKw: 0, batteryTempC: 20, mode: 'IDLE', alarms: [], activeCommandId: null };
    site.handleTelemetry(t, 0);
    const [r] = site.drain(0).rollups;
    if (r === undefined) throw new Error('no rollup');
    const naive = sumAggregates([r.delta, r.delta]);
    const parent = createParentShard(0, h);
    expect(parent.handleRollup(r)).toBe('applied');
    expect(parent.handleRollup({ ...r })).toBe('duplicate');
    parent.drain(0);
    const versioned = parent.get('feeder-0-0')?.aggregate;
    expect(versioned?.solarKw).toBe(2);
    expect(naive.solarKw).toBe(4);
    expect(close(naive, versioned ?? naive)).toBe(false);
  });
});
