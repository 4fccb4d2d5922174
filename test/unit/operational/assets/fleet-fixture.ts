/** A small fleet for the assets unit tests: fleet > 2 regions > 1 substation each > 2 feeders each > sites > one device each. */
import type { AssetDefinition } from '../../../../services/platform/events.ts';
import { createHierarchy, type Hierarchy } from '../../../../services/operational/assets/hierarchy.ts';

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

