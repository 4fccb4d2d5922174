/**
 * Decommissioning: when the registry deletes a device or a site, its shard lets go of it, its
 * ancestors' partials are recomputed without it, the view says it is gone; later telemetry for it
 * changes nothing.
 */
import { describe, expect, it } from 'vitest';
import type { AssetDefinition, Telemetry } from '../../../../services/platform/events.ts';
import { createHierarchy } from '../../../../services/operational/assets/hierarchy.ts';
import { createParentShard } from '../../../../services/operational/assets/parent-shard.ts';
import { partialRecords } from '../../../../services/operational/assets/shard-records.ts';
import { createSiteShard, type SiteFlush } from '../../../../services/operational/assets/site-shard.ts';

const def = (assetId: string, kind: AssetDefinition['kind'], parentId: string | null, extra: Partial<AssetDefinition> = {}): AssetDefinition => ({
  assetId, kind, parentId, name: assetId, latitudeDeg: null, longitudeDeg: null, weatherCellId: null, gridRegionId: null, solarKwp: null, batteryKwh: 10,
  maxChargeKw: 5, maxDischargeKw: 5, backupReservePct: 20, customerId: null, updatedAtMs: 0, deleted: false, credentialsRevokedBeforeMs: null, ...extra,
});

const frame = (deviceId: string, siteId: string, seq: number, batteryKw: number): Telemetry => ({
  deviceId, siteId, seq, measuredAtMs: 1_000 + seq, receivedAtMs: 1_000 + seq, socPct: 60, batteryKw, solarKw: 1, loadKw: 2, gridKw: 1 - batteryKw,
  batteryTempC: 20, mode: 'SELF_CONSUMPTION', alarms: [], activeCommandId: null,
});

const setup = () => {
  const h = createHierarchy();
  h.apply('feeder-1', def('feeder-1', 'FEEDER', null));
  for (const s of ['site-a', 'site-b']) h.apply(s, def(s, 'SITE', 'feeder-1'));
  h.apply('dev-a1', def('dev-a1', 'DEVICE', 'site-a'));
  h.apply('dev-a2', def('dev-a2', 'DEVICE', 'site-a'));
  h.apply('dev-b1', def('dev-b1', 'DEVICE', 'site-b'));
  const sites = createSiteShard(0, h, 60_000);
  const parents = createParentShard(0, h);
  let wall = 10_000;
  const deliver = (f: SiteFlush): void => {
    for (const r of partialRecords(0, f, 2_000, 1)) parents.handlePartials(r.value);
    parents.flush(2_000, ++wall, false);
  };
  const drain = (now: number): SiteFlush => sites.flush(now, ++wall, false);
  sites.handleTelemetry(frame('dev-a1', 'site-a', 1, 2), 1_500, 1_500);
  sites.handleTelemetry(frame('dev-a2', 'site-a', 1, 3), 1_500, 1_500);
  sites.handleTelemetry(frame('dev-b1', 'site-b', 1, 1), 1_500, 1_500);
  deliver(drain(1_500));
  return { h, sites, parents, deliver, drain };
};

describe('decommissioned assets', () => {
  it('a deleted device leaves its site: the site and the feeder stop counting it', () => {
    const { h, sites, parents, deliver, drain } = setup();
    expect(parents.get('feeder-1')?.aggregate.batteryKw).toBeCloseTo(6);
    h.apply('dev-a2', { ...def('dev-a2', 'DEVICE', 'site-a'), deleted: true });
    expect(sites.tick(1_600)).toBeGreaterThan(0);
    const out = drain(1_600);
    expect(sites.get('dev-a2')).toBeUndefined();
    expect(out.sites.map((s) => [s.siteId, s.aggregate.deviceCount])).toEqual([['site-a', 1]]);
    expect(sites.get('site-a')?.aggregate.batteryKw).toBeCloseTo(2);
    deliver(out);
    expect(parents.get('feeder-1')?.aggregate.batteryKw).toBeCloseTo(3);
    expect(sites.handleTelemetry(frame('dev-a2', 'site-a', 2, 5), 1_700, 1_700)).toBe('decommissioned');
    expect(drain(1_700).sites).toEqual([]);
  });

  it('a deleted site (a tombstone in the registry) is taken out of its former parent and forgotten', () => {
    const { h, sites, parents, deliver, drain } = setup();
    h.apply('site-a', null);
    sites.tick(1_600);
    const out = drain(1_600);
    expect(out.removedIds).toContain('site-a');
    // The feeder's partial from this shard is recomputed without the site: only site-b is left.
    expect(out.partials.map((p) => [p.parentId, p.aggregate.batteryKw])).toEqual([['feeder-1', 1]]);
    deliver(out);
    expect(parents.get('feeder-1')?.aggregate.batteryKw).toBeCloseTo(1);
    expect(parents.get('feeder-1')?.aggregate.deviceCount).toBe(1);
    expect(sites.get('site-a')).toBeUndefined();
    expect(sites.handleTelemetry(frame('dev-a1', 'site-a', 2, 5), 1_700, 1_700)).toBe('decommissioned');
    // A second tick has nothing left to do.
    expect(sites.tick(1_800)).toBe(0);
  });

  it('an asset defined again after its deletion is live again', () => {
    const { h, sites } = setup();
    h.apply('dev-b1', { ...def('dev-b1', 'DEVICE', 'site-b'), deleted: true });
    expect(h.isDecommissioned('dev-b1')).toBe(true);
    expect(h.formerParentOf('dev-b1')).toBe('site-b');
    h.apply('dev-b1', def('dev-b1', 'DEVICE', 'site-b'));
    expect(h.isDecommissioned('dev-b1')).toBe(false);
    expect(sites.handleTelemetry(frame('dev-b1', 'site-b', 5, 1), 1_700, 1_700)).toBe('applied');
  });
});
