/**
 * The demo's small fleet, pure: a hierarchy (fleet > region > substation > feeder > site) and
 * telemetry frames from a simple clear-sky solar curve and an evening load peak. The full fleet
 * simulator (weather fronts, battery physics, edge agent) is services/fleet, a later issue; this
 * is just enough to show the event backbone working end to end.
 */
import type { AssetDefinition, Telemetry } from '../platform/events.ts';

export interface DemoSite {
  readonly siteId: string;
  readonly deviceId: string;
  readonly regionId: string;
  readonly solarKwp: number;
  readonly batteryKwh: number;
  /** Share of clear-sky sun that reaches the panels (clouds), 0..1. */
  readonly clearness: number;
}

const asset = (assetId: string, kind: AssetDefinition['kind'], parentId: string | null, nowMs: number, extra: Partial<AssetDefinition> = {}): AssetDefinition => ({
  assetId, kind, parentId, name: assetId, latitudeDeg: null, longitudeDeg: null, weatherCellId: null, gridRegionId: null,
  solarKwp: null, batteryKwh: null, maxChargeKw: null, maxDischargeKw: null, backupReservePct: null, customerId: null,
  updatedAtMs: nowMs, deleted: false, credentialsRevokedBeforeMs: null, ...extra,
});

/** regions x 2 substations x 2 feeders x sitesPerFeeder sites. */
export const demoHierarchy = (regions: number, sitesPerFeeder: number, nowMs: number): { assets: AssetDefinition[]; sites: DemoSite[] } => {
  const assets: AssetDefinition[] = [asset('fleet', 'FLEET', null, nowMs)];
  const sites: DemoSite[] = [];
  for (let r = 0; r < regions; r++) {
    const regionId = `region-${r + 1}`;
    assets.push(asset(regionId, 'REGION', 'fleet', nowMs));
    for (let s = 0; s < 2; s++) {
      const subId = `${regionId}-sub-${s + 1}`;
      assets.push(asset(subId, 'SUBSTATION', regionId, nowMs));
      for (let f = 0; f < 2; f++) {
        const feederId = `${subId}-feeder-${f + 1}`;
        assets.push(asset(feederId, 'FEEDER', subId, nowMs));
        for (let k = 0; k < sitesPerFeeder; k++) {
          const n = sites.length + 1;
          const site: DemoSite = { siteId: `site-${String(n).padStart(5, '0')}`, deviceId: `dev-${String(n).padStart(5, '0')}`, regionId, solarKwp: 4 + (n % 5), batteryKwh: 13.5, clearness: 1 - 0.3 * r };
          sites.push(site);
          assets.push(asset(site.siteId, 'SITE', feederId, nowMs, {
            latitudeDeg: 37 + r, longitudeDeg: -122 + n / 100, gridRegionId: regionId, weatherCellId: `cell-${r + 1}`,
            solarKwp: site.solarKwp, batteryKwh: site.batteryKwh, maxChargeKw: 5, maxDischargeKw: 5, backupReservePct: 20,
          }));
          assets.push(asset(site.deviceId, 'DEVICE', site.siteId, nowMs));
        }
      }
    }
  }
  return { assets, sites };
};

const HOUR_MS = 3_600_000;

/** One telemetry frame of a site at simulated time tMs. */
export const demoFrame = (site: DemoSite, tMs: number, seq: number, receivedAtMs: number): Telemetry => {
  const hour = (tMs % (24 * HOUR_MS)) / HOUR_MS;
  const sun = Math.max(0, Math.sin(((hour - 6) / 12) * Math.PI));
  const solarKw = Number((site.solarKwp * 0.8 * sun * site.clearness).toFixed(3));
  const loadKw = Number((0.4 + 1.6 * Math.exp(-((hour - 19) ** 2) / 4) + 0.5 * Math.exp(-((hour - 8) ** 2) / 2)).toFixed(3));
  const batteryKw = Number(Math.max(-3, Math.min(3, loadKw - solarKw)).toFixed(3));
  const socPct = Number((50 + 40 * Math.sin(((hour - 10) / 24) * 2 * Math.PI)).toFixed(2));
  return {
    deviceId: site.deviceId, siteId: site.siteId, seq, measuredAtMs: tMs, receivedAtMs,
    socPct, batteryKw, solarKw, loadKw, gridKw: Number((loadKw - solarKw - batteryKw).toFixed(3)), batteryTempC: 22 + sun * 6,
    mode: 'SELF_CONSUMPTION', alarms: [], activeCommandId: null,
  };
};
