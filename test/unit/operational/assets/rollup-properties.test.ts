/**
 * Property: after any sequence of telemetry, duplicated and replayed telemetry, duplicated
 * partials, lost writes, snapshots, staleness ticks and shard crashes (restore from the newest
 * snapshot, input after it replayed), every parent's aggregate equals the sum of its children's,
 * and the fleet's equals the sum over devices recomputed from each device's latest telemetry.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Aggregate, ParentPartials, DeviceSnapshot, RollupDelta, Telemetry } from '../../../../services/platform/events.ts';
import { AGGREGATE_FIELDS, deviceAggregate, sumAggregates } from '../../../../services/operational/assets/aggregate.ts';
import type { Hierarchy } from '../../../../services/operational/assets/hierarchy.ts';
import { buildHierarchy } from './fleet-fixture.ts';
import { createParentShard, parentPartitionOf, type ParentShard } from '../../../../services/operational/assets/parent-shard.ts';
import { partialRecords } from '../../../../services/operational/assets/shard-records.ts';
import { createSiteShard, type SiteShard } from '../../../../services/operational/assets/site-shard.ts';

const P = 3;
const STALE = 10_000;
const SITES = 8;

const hash = (s: string): number => [...s].reduce((a, c) => (a * 31 + c.charCodeAt(0)) >>> 0, 7) % P;

type Op =
  | { op: 'telemetry'; site: number; soc: number; solar: number; battery: number; alarms: number }
  | { op: 'replayTelemetry'; site: number }
  | { op: 'flush' }
  | { op: 'lostFlush'; p: number }
  | { op: 'snapshot'; p: number }
  | { op: 'dupPartials'; pick: number }
  | { op: 'crashSite'; p: number }
  | { op: 'crashParent'; p: number }
  | { op: 'advance'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('telemetry' as const), site: fc.nat(SITES - 1), soc: fc.double({ min: 0, max: 100, noNaN: true }), solar: fc.double({ min: 0, max: 8, noNaN: true }), battery: fc.double({ min: -5, max: 5, noNaN: true }), alarms: fc.nat(2) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('replayTelemetry' as const), site: fc.nat(SITES - 1) }) },
  { weight: 3, arbitrary: fc.constant({ op: 'flush' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('lostFlush' as const), p: fc.nat(P - 1) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('snapshot' as const), p: fc.nat(P - 1) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('dupPartials' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('crashSite' as const), p: fc.nat(P - 1) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('crashParent' as const), p: fc.nat(P - 1) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 100, max: 15_000 }) }) },
);

/**
 * The Kafka shell modelled in memory: the input logs, each shard's position in its input, and
 * each shard's newest snapshot with the offset it covers (what the committed metadata points to).
 * The wall clock (versions) moves on by 1 ms per step, as real time does.
 */
const simulate = (ops: readonly Op[], h: Hierarchy) => {
  let now = 1_000_000;
  let wall = 5_000_000;
  const telemetryLog: Telemetry[][] = Array.from({ length: P }, () => []);
  const partialsLog: RollupDelta[][] = Array.from({ length: P }, () => []);
  const partialsRead = Array<number>(P).fill(0);
  const siteSnaps: Array<{ seq: number; devices: DeviceSnapshot[]; covers: number } | null> = Array<null>(P).fill(null);
  const parentSnaps: Array<{ seq: number; parents: ParentPartials[]; covers: number } | null> = Array<null>(P).fill(null);
  const needFull = Array<boolean>(P).fill(true);
  const seq = new Map<number, number>();
  const sent = new Map<number, Telemetry[]>();
  let siteShards: SiteShard[] = Array.from({ length: P }, (_, p) => createSiteShard(p, h, STALE));
  let parentShards: ParentShard[] = Array.from({ length: P }, (_, p) => createParentShard(p, h));

  const flushSite = (s: SiteShard, lost: boolean): void => {
    const f = s.flush(now, wall, needFull[s.partition] ?? true);
    needFull[s.partition] = lost;
    if (lost) return;
    for (const r of partialRecords(s.partition, f, now, P)) partialsLog[r.partition]?.push(r.value);
  };
  const flush = (): void => {
    for (const s of siteShards) flushSite(s, false);
    for (const s of parentShards) {
      const log = partialsLog[s.partition] ?? [];
      while ((partialsRead[s.partition] ?? 0) < log.length) {
        const r = log[partialsRead[s.partition] ?? 0];
        partialsRead[s.partition] = (partialsRead[s.partition] ?? 0) + 1;
        if (r !== undefined) s.handlePartials(r);
      }
      s.flush(now, wall, false);
    }
  };
  const deliver = (t: Telemetry): void => {
    const p = hash(t.siteId);
    telemetryLog[p]?.push(t);
    siteShards[p]?.handleTelemetry(t, now, wall);
  };

  for (const o of ops) {
    wall += 1;
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
    else if (o.op === 'lostFlush') {
      const s = siteShards[o.p];
      if (s !== undefined) flushSite(s, true);
    } else if (o.op === 'snapshot') {
      const s = siteShards[o.p];
      const q = parentShards[o.p];
      if (s !== undefined) siteSnaps[o.p] = { ...s.snapshot(), covers: telemetryLog[o.p]?.length ?? 0 };
      if (q !== undefined) parentSnaps[o.p] = { ...q.snapshot(), covers: partialsRead[o.p] ?? 0 };
    } else if (o.op === 'dupPartials') {
      const all = partialsLog.flat();
      const r = all[o.pick % Math.max(1, all.length)];
      if (r !== undefined) partialsLog[parentPartitionOf(r.partials?.[0]?.parentId ?? '', P)]?.push({ ...r });
    } else if (o.op === 'crashSite') {
      const s = createSiteShard(o.p, h, STALE);
      const snap = siteSnaps[o.p];
      if (snap != null) s.restore(snap, now);
      for (const t of (telemetryLog[o.p] ?? []).slice(snap?.covers ?? 0)) s.handleTelemetry(t, now, wall);
      s.tick(now);
      needFull[o.p] = true;
      siteShards = siteShards.map((x, i) => (i === o.p ? s : x));
    } else if (o.op === 'crashParent') {
      const s = createParentShard(o.p, h);
      const snap = parentSnaps[o.p];
      if (snap != null) s.restore(snap);
      partialsRead[o.p] = snap?.covers ?? 0;
      parentShards = parentShards.map((x, i) => (i === o.p ? s : x));
    } else {
      now += o.ms;
      for (const s of siteShards) s.tick(now);
    }
  }
  // The shell's periodic tick runs on every shard it owns, restored ones included.
  for (const s of siteShards) s.tick(now);
  for (let i = 0; i < 3; i++) {
    wall += 1;
    flush();
  }
  const aggregateOf = (id: string): Aggregate | undefined =>
    siteShards.map((s) => s.get(id)?.aggregate).find((a) => a !== undefined) ?? parentShards.map((s) => s.get(id)?.aggregate).find((a) => a !== undefined);
  return { now, sent, aggregateOf, parentShards };
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
        const { now, sent, aggregateOf } = simulate(ops, h);
        for (const parent of ['fleet', 'region-0', 'region-1', 'sub-0', 'sub-1', 'feeder-0-0', 'feeder-0-1', 'feeder-1-0', 'feeder-1-1']) {
          const children = h.childrenOf(parent).flatMap((c) => aggregateOf(c) ?? []);
          const own = aggregateOf(parent);
          if (children.length === 0) continue;
          expect(own !== undefined && close(own, sumAggregates(children)), `${parent}`).toBe(true);
        }
        const fleet = aggregateOf('fleet');
        if (sent.size > 0) expect(fleet !== undefined && close(fleet, expectedFleet(h, sent, now))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('negative control: a parent that adds every delivered partial (no versions) double counts a duplicate', () => {
    const h = buildHierarchy(2);
    const site = createSiteShard(0, h, STALE);
    const t: Telemetry = { deviceId: 'dev-0', siteId: 'site-0', seq: 1, measuredAtMs: 0, receivedAtMs: 0, socPct: 50, batteryKw: 1, solarKw: 2, loadKw: 3, gridKw: 0, batteryTempC: 20, mode: 'IDLE', alarms: [], activeCommandId: null };
    site.handleTelemetry(t, 0, 0);
    const records = partialRecords(0, site.flush(0, 1, false), 0, 1);
    const r = records.find((x) => x.value.partials?.some((p) => p.parentId === 'feeder-0-0'))?.value;
    if (r === undefined) throw new Error('no partials');
    const partial = r.partials?.find((p) => p.parentId === 'feeder-0-0')?.aggregate;
    if (partial === undefined) throw new Error('no feeder partial');
    const naive = sumAggregates([partial, partial]);
    const parent = createParentShard(0, h);
    expect(parent.handlePartials(r)).toBe('applied');
    expect(parent.handlePartials({ ...r })).toBe('duplicate');
    parent.flush(0, 2, false);
    const versioned = parent.get('feeder-0-0')?.aggregate;
    expect(versioned?.solarKw).toBe(2);
    expect(naive.solarKw).toBe(4);
    expect(close(naive, versioned ?? naive)).toBe(false);
  });

  it('negative control: the recompute rejects a fleet that lost a shard\'s partial', () => {
    const h = buildHierarchy(SITES);
    const ops: Op[] = Array.from({ length: SITES }, (_, site) => ({ op: 'telemetry' as const, site, soc: 60, solar: 1 + site, battery: 1, alarms: 0 }));
    const { now, sent, parentShards } = simulate(ops, h);
    const owner = parentShards[parentPartitionOf('fleet', P)];
    const fleet = owner?.get('fleet')?.aggregate;
    expect(fleet !== undefined && close(fleet, expectedFleet(h, sent, now))).toBe(true);
    // The same fleet with one site shard's partial taken out again.
    const snap = owner?.snapshot().parents.find((x) => x.parentId === 'fleet');
    const first = snap?.sources[0]?.aggregate;
    if (fleet === undefined || first === undefined) throw new Error('no fleet partials');
    const missing = sumAggregates([fleet, ...[first].map((a) => Object.fromEntries(AGGREGATE_FIELDS.map((f) => [f, -a[f]])) as unknown as Aggregate)]);
    expect(close(missing, expectedFleet(h, sent, now))).toBe(false);
  });
});
