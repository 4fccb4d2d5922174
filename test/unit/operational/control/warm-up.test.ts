import { describe, expect, it } from 'vitest';
import type { AssetDefinition, AssetState, SiteCommand } from '../../../../services/platform/events.ts';
import { applyDefinition, applyState, createReadModel } from '../../../../services/operational/control/read-model.ts';
import { createScopeIndex } from '../../../../services/operational/control/scope-index.ts';
import { warmUp } from '../../../../services/operational/control/warm-up.ts';

const T0 = 1_764_000_000_000;
const def = (assetId: string, kind: AssetDefinition['kind'], parentId: string | null): AssetDefinition => ({
  assetId, kind, parentId, name: assetId, latitudeDeg: null, longitudeDeg: null, weatherCellId: null, gridRegionId: null, solarKwp: 6, batteryKwh: null,
  maxChargeKw: 5, maxDischargeKw: 5, backupReservePct: 20, customerId: null, updatedAtMs: T0, deleted: false, credentialsRevokedBeforeMs: null,
});
const state = (assetId: string, socPct: number): AssetState => ({
  assetId, kind: 'SITE', version: 1, updatedAtMs: T0, lastSeenMs: T0, online: true, socPct, mode: 'SELF_CONSUMPTION', alarms: [], activeCommandIds: [],
  aggregate: { availableEnergyKwh: 9, chargeHeadroomKw: 5, dischargeHeadroomKw: 5, solarKw: 0, loadKw: 1, gridKw: 1, batteryKw: 0, onlineCount: 1, deviceCount: 1, alarmCount: 0 },
  lastSeq: null,
});

const fleet = () => {
  const model = createReadModel();
  // Two roots: a fleet of two feeders and a lone feeder; one site at its floor has nothing to give.
  applyDefinition(model, 'fleet', def('fleet', 'FLEET', null));
  applyDefinition(model, 'f1', def('f1', 'FEEDER', 'fleet'));
  applyDefinition(model, 'f2', def('f2', 'FEEDER', 'fleet'));
  applyDefinition(model, 'lone', def('lone', 'FEEDER', null));
  const sites = [['s1', 'f1', 80], ['s2', 'f1', 60], ['s3', 'f2', 20], ['s4', 'lone', 90]] as const;
  for (const [s, parent, soc] of sites) {
    applyDefinition(model, s, def(s, 'SITE', parent));
    applyState(model, s, state(s, soc));
  }
  return model;
};

describe('control warm-up', () => {
  it('allocates every root over all its sites and encodes each command, writing nothing else', () => {
    const model = fleet();
    const scopes = createScopeIndex(model);
    const encoded: SiteCommand[] = [];
    const r = warmUp({ model, scopes, choices: new Map(), nowMs: T0, encode: (c) => void encoded.push(c) });
    expect(r).toEqual({ roots: 2, sites: 4, commands: 3 });
    // s3 sits at its 20 % floor: no headroom, no command.
    expect(encoded.map((c) => c.siteId).sort()).toEqual(['s1', 's2', 's4']);
    expect(encoded.every((c) => c.kind === 'DISCHARGE' && c.powerKw > 0 && c.eventId === 'warm-up')).toBe(true);
    expect([...scopes.sitesUnder('fleet')].sort()).toEqual(['s1', 's2', 's3']);
  });

  it('does nothing on an empty registry', () => {
    const model = createReadModel();
    let calls = 0;
    expect(warmUp({ model, scopes: createScopeIndex(model), choices: new Map(), nowMs: T0, encode: () => void calls++ })).toEqual({ roots: 0, sites: 0, commands: 0 });
    expect(calls).toBe(0);
  });
});
