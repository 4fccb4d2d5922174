/**
 * The records the shards write: valid for their topics' schemas, a snapshot restores a shard to
 * the same view and partials (through Avro, as a restore reads them), and a reader of the compact
 * view drops what a full batch or a removal says is gone.
 */
import { describe, expect, it } from 'vitest';
import { createViewTracker } from '../../../../services/platform/asset-view.ts';
import type { AssetState, Telemetry } from '../../../../services/platform/events.ts';
import { readSchemaJson, typeOf } from '../../../../services/platform/schemas.ts';
import { TopicNames } from '../../../../services/platform/topics.ts';
import { createParentShard } from '../../../../services/operational/assets/parent-shard.ts';
import { assembleSnapshot, parentViewRecords, partialRecords, siteViewRecords, snapshotRecords } from '../../../../services/operational/assets/shard-records.ts';
import { createSiteShard } from '../../../../services/operational/assets/site-shard.ts';
import { applyState, createReadModel } from '../../../../services/operational/control/read-model.ts';
import { buildHierarchy } from './fleet-fixture.ts';

const stateType = typeOf(readSchemaJson(TopicNames.assetState));
const rollupType = typeOf(readSchemaJson(TopicNames.assetRollup));
const viaAvro = (s: AssetState): AssetState => stateType.fromBuffer(stateType.toBuffer(s)) as AssetState;

const frame = (i: number, seq: number): Telemetry => ({
  deviceId: `dev-${i}`, siteId: `site-${i}`, seq, measuredAtMs: 1_000, receivedAtMs: 1_000, socPct: 40 + i, batteryKw: (i % 3) - 1, solarKw: i / 2, loadKw: 1,
  gridKw: 1 - i / 2 - ((i % 3) - 1), batteryTempC: 20, mode: 'SELF_CONSUMPTION', alarms: i % 4 === 0 ? ['HIGH_TEMP'] : [], activeCommandId: i % 5 === 0 ? `cmd-${i}` : null,
});

describe('shard records', () => {
  const h = buildHierarchy(12);
  const loaded = () => {
    const s = createSiteShard(0, h, 60_000);
    for (let i = 0; i < 12; i++) s.handleTelemetry(frame(i, 3), 1_000, 900);
    return s;
  };

  it('are valid records of their topics', () => {
    const s = loaded();
    const f = s.flush(1_000, 5_000, false);
    expect(f.oldestInputAtMs).toBe(900);
    for (const r of partialRecords(0, f, 1_000, 3)) expect(rollupType.isValid(r.value), JSON.stringify(r.value).slice(0, 200)).toBe(true);
    for (const r of [...siteViewRecords(0, f, 0, 1_000), ...snapshotRecords('site', 0, 1, s.snapshot(), 42, 1_000)]) expect(stateType.isValid(r.value)).toBe(true);
    const p = createParentShard(0, h);
    for (const r of partialRecords(0, f, 1_000, 1)) p.handlePartials(r.value);
    for (const r of [...parentViewRecords(0, p.flush(1_000, 5_001, true), 0, 1_000), ...snapshotRecords('parent', 0, 0, p.snapshot(), 7, 1_000)]) expect(stateType.isValid(r.value)).toBe(true);
  });

  it('restore a shard from its snapshot (through Avro) to the same sites and partials, and keep replays out', () => {
    const s = loaded();
    const before = s.flush(1_000, 5_000, true);
    const records = snapshotRecords('site', 0, 1, s.snapshot(), 42, 1_000).map((r) => viaAvro(r.value));
    const snap = assembleSnapshot(records, before.seq);
    expect(snap?.coversOffset).toBe(42);
    const restored = createSiteShard(0, h, 60_000);
    restored.restore({ seq: before.seq, devices: snap?.batches.flatMap((b) => b.devices) ?? [] }, 1_000);
    const after = restored.flush(1_000, 5_000, true);
    expect(after.seq).toBeGreaterThan(before.seq);
    expect(after.partials).toEqual(before.partials);
    const strip = (list: typeof before.sites) => list.map(({ updatedAtMs: _u, ...rest }) => rest).sort((a, b) => a.siteId.localeCompare(b.siteId));
    expect(strip(after.sites)).toEqual(strip(before.sites));
    expect(restored.handleTelemetry(frame(3, 3), 1_000, 1_000)).toBe('replay');
    expect(restored.handleTelemetry(frame(3, 4), 1_000, 1_000)).toBe('applied');
    // Negative controls: a snapshot with a part missing, or of another seq, is not restored from.
    const first = records[0];
    if (first?.batch == null) throw new Error('no snapshot record');
    expect(assembleSnapshot([{ ...first, batch: { ...first.batch, parts: 2 } }], before.seq)).toBeNull();
    expect(assembleSnapshot(records, before.seq + 1)).toBeNull();
  });

  it('a reader of the view: deltas update, a full batch drops what it no longer lists, a removal removes', () => {
    const tracker = createViewTracker();
    const s = loaded();
    const full = siteViewRecords(0, s.flush(1_000, 5_000, true), 0, 1_000).map((r) => viaAvro(r.value));
    const seen = new Set<string>();
    for (const r of full) for (const c of tracker.apply(r)?.sites ?? []) seen.add(c.siteId);
    expect(seen.size).toBe(12);
    // Devices of site-0 are gone from the registry: the next full batch lacks it, and a reader drops it.
    h.apply('site-0', null);
    s.tick(1_100);
    const delta = viaAvro(siteViewRecords(0, s.flush(1_100, 5_001, false), 1, 1_100)[0]?.value as AssetState);
    expect(tracker.apply(delta)?.removed).toEqual(['site-0']);
    const model = createReadModel();
    const applied = full.flatMap((r) => applyState(model, r.assetId, r));
    expect(applied.map((x) => x.assetId)).toContain('site-1');
    expect(model.states.get('site-1')?.online).toBe(true);
    expect(model.states.get('site-5')?.aggregate.batteryKw).toBeCloseTo((5 % 3) - 1, 5);
    const later = viaAvro(siteViewRecords(0, { ...s.flush(1_200, 5_002, true), sites: [] }, 0, 1_200)[0]?.value as AssetState);
    applyState(model, later.assetId, later);
    expect(model.states.size).toBe(0);
  });
});
