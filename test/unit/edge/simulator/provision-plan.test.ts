import { describe, expect, it } from 'vitest';
import { fleetAssetDefinitions, planFleet } from '../../../../services/edge/simulator/provision-plan.ts';

describe('fleet provisioning plan', () => {
  it('is the same for the same seed and differs for another', () => {
    const a = planFleet({ seed: 7, sites: 500 });
    expect(planFleet({ seed: 7, sites: 500 })).toEqual(a);
    const b = planFleet({ seed: 8, sites: 500 });
    expect(b.sites.map((s) => s.latitudeDeg)).not.toEqual(a.sites.map((s) => s.latitudeDeg));
    expect(b.regions.map((r) => r.grid.peakDemandMw)).not.toEqual(a.regions.map((r) => r.grid.peakDemandMw));
  });

  it('lays out a consistent hierarchy with the documented ids, one device per site, every site in a known cell', () => {
    const plan = planFleet({ seed: 1, sites: 2500, regions: 3 });
    expect(plan.sites).toHaveLength(2500);
    expect(plan.regions.map((r) => r.regionId)).toEqual(['region-01', 'region-02', 'region-03']);
    expect(plan.sites[0]?.siteId).toBe('site-000001');
    expect(plan.sites[0]?.deviceId).toBe('dev-000001');
    expect(plan.substations[0]?.substationId).toMatch(/^sub-01-01$/);
    expect(plan.feeders[0]?.feederId).toMatch(/^feeder-01-01-01$/);
    const cells = new Map(plan.cells.map((c) => [c.cellId, c]));
    const feeders = new Map(plan.feeders.map((f) => [f.feederId, f]));
    const subs = new Map(plan.substations.map((s) => [s.substationId, s]));
    expect(new Set(plan.sites.map((s) => s.siteId)).size).toBe(2500);
    expect(new Set(plan.sites.map((s) => s.deviceId)).size).toBe(2500);
    expect(cells.size).toBe(plan.cells.length);
    for (const s of plan.sites) {
      const cell = cells.get(s.cellId);
      expect(cell).toBeDefined();
      expect(Math.abs((cell?.latitudeDeg ?? 0) - s.latitudeDeg)).toBeLessThanOrEqual(0.25);
      expect(Math.abs((cell?.longitudeDeg ?? 0) - s.longitudeDeg)).toBeLessThanOrEqual(0.25);
      const feeder = feeders.get(s.feederId);
      expect(feeder?.substationId).toBe(s.substationId);
      expect(subs.get(s.substationId)?.regionId).toBe(s.regionId);
      expect(s.batteryKwh).toBeGreaterThan(0);
      expect(s.maxChargeKw).toBeGreaterThan(0);
      expect(s.roundTripEfficiency).toBeGreaterThan(0.5);
      expect(s.backupReservePct).toBeGreaterThanOrEqual(0);
      expect(s.backupReservePct).toBeLessThan(100);
      expect(s.solarKwp).toBeGreaterThanOrEqual(3);
    }
    const perFeeder = new Map<string, number>();
    for (const s of plan.sites) perFeeder.set(s.feederId, (perFeeder.get(s.feederId) ?? 0) + 1);
    expect(Math.max(...perFeeder.values())).toBeLessThanOrEqual(200);
  });

  it('maps to asset definitions whose parents all exist and come first', () => {
    const plan = planFleet({ seed: 1, sites: 300 });
    const defs = fleetAssetDefinitions(plan, 1_700_000_000_000);
    const seen = new Set<string>();
    for (const d of defs) {
      if (d.parentId !== null) expect(seen.has(d.parentId)).toBe(true);
      seen.add(d.assetId);
      expect(d.updatedAtMs).toBe(1_700_000_000_000);
    }
    expect(seen.size).toBe(defs.length);
    const kinds = (k: string): number => defs.filter((d) => d.kind === k).length;
    expect(kinds('FLEET')).toBe(1);
    expect(kinds('SITE')).toBe(300);
    expect(kinds('DEVICE')).toBe(300);
    const site = defs.find((d) => d.assetId === 'site-000001');
    expect(site?.weatherCellId).toBe(plan.sites[0]?.cellId);
    expect(site?.gridRegionId).toBe('region-01');
    expect(site?.batteryKwh).toBe(plan.sites[0]?.batteryKwh);
    expect(defs.find((d) => d.assetId === 'dev-000001')?.parentId).toBe('site-000001');
  });

  it('gives every site a PV array (tilt 10-40 degrees, facing within 75 degrees of the equator) and an altitude, in the registry records of sites only', () => {
    const plan = planFleet({ seed: 5, sites: 400 });
    for (const s of plan.sites) {
      expect(s.tiltDeg).toBeGreaterThanOrEqual(10);
      expect(s.tiltDeg).toBeLessThanOrEqual(40);
      expect(Math.abs(s.azimuthDeg - 180)).toBeLessThanOrEqual(75);
      expect(s.altitudeM).toBeGreaterThanOrEqual(0);
    }
    expect(new Set(plan.sites.map((s) => s.azimuthDeg)).size).toBeGreaterThan(20);
    const defs = fleetAssetDefinitions(plan, 0);
    const site = defs.find((d) => d.kind === 'SITE');
    expect(site?.tiltDeg).toBe(plan.sites[0]?.tiltDeg);
    expect(site?.azimuthDeg).toBe(plan.sites[0]?.azimuthDeg);
    expect(defs.find((d) => d.kind === 'DEVICE')?.tiltDeg).toBeUndefined();
  });

  it('plans 100k sites with unique ids, every site under a feeder of its region', () => {
    const plan = planFleet({ seed: 3, sites: 100_000 });
    const defs = fleetAssetDefinitions(plan, 0);
    expect(plan.sites).toHaveLength(100_000);
    expect(new Set(defs.map((d) => d.assetId)).size).toBe(defs.length);
    const feeders = new Map(plan.feeders.map((f) => [f.feederId, f.regionId]));
    expect(plan.sites.every((s) => feeders.get(s.feederId) === s.regionId)).toBe(true);
  });
});
