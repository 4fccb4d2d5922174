/**
 * What the gateway knows of devices, folded from asset.registry.v1 (compacted): each device's
 * site, power limits and credential revocation. Pure: `applyDefinition` returns a new directory
 * entry set; the shell feeds it from Kafka.
 */
import type { AssetDefinition } from '../platform/events.ts';
import { err, ok, type Result } from '../platform/result.ts';
import type { DeviceClaims } from './credentials.ts';
import type { Rejection } from './device-protocol.ts';

export interface DeviceInfo {
  readonly deviceId: string;
  readonly siteId: string;
  /** Battery limits, kW; from the device's record, else its site's. */
  readonly maxChargeKw: number;
  readonly maxDischargeKw: number;
  /** Installed solar, kWp (bounds solarKw). */
  readonly solarKwp: number;
  readonly revokedBeforeMs: number | null;
}

export interface Directory {
  readonly devices: Map<string, DeviceInfo>;
  readonly sites: Map<string, AssetDefinition>;
  readonly deviceDefs: Map<string, AssetDefinition>;
}

export const emptyDirectory = (): Directory => ({ devices: new Map(), sites: new Map(), deviceDefs: new Map() });

const DEFAULT_LIMIT_KW = 5;

const resolveDevice = (dir: Directory, def: AssetDefinition): DeviceInfo | undefined => {
  if (def.parentId === null) return undefined;
  const site = dir.sites.get(def.parentId);
  return {
    deviceId: def.assetId,
    siteId: def.parentId,
    maxChargeKw: def.maxChargeKw ?? site?.maxChargeKw ?? DEFAULT_LIMIT_KW,
    maxDischargeKw: def.maxDischargeKw ?? site?.maxDischargeKw ?? DEFAULT_LIMIT_KW,
    solarKwp: site?.solarKwp ?? def.solarKwp ?? 0,
    revokedBeforeMs: def.credentialsRevokedBeforeMs,
  };
};

/** Folds one registry record (mutating the maps: the directory is the shell's working state). */
export const applyDefinition = (dir: Directory, assetId: string, def: AssetDefinition | null): void => {
  if (def === null || def.deleted) {
    dir.sites.delete(assetId);
    dir.deviceDefs.delete(assetId);
    dir.devices.delete(assetId);
    return;
  }
  if (def.kind === 'SITE') {
    dir.sites.set(assetId, def);
    // A site record may arrive after its devices': refresh their limits.
    for (const d of dir.deviceDefs.values()) {
      if (d.parentId === assetId) {
        const info = resolveDevice(dir, d);
        if (info) dir.devices.set(d.assetId, info);
      }
    }
  } else if (def.kind === 'DEVICE') {
    dir.deviceDefs.set(assetId, def);
    const info = resolveDevice(dir, def);
    if (info) dir.devices.set(assetId, info);
  }
};

/** Decides whether a verified credential may connect now. */
export const admit = (dir: Directory, claims: DeviceClaims): Result<DeviceInfo, Rejection> => {
  const info = dir.devices.get(claims.sub);
  if (!info) return err({ code: 'UNKNOWN_DEVICE', message: `device ${claims.sub} is not registered (yet); retry later` });
  if (info.siteId !== claims.site) return err({ code: 'FORBIDDEN', message: `credential names site ${claims.site} but device ${claims.sub} belongs to ${info.siteId}` });
  if (info.revokedBeforeMs !== null && claims.iat < info.revokedBeforeMs) {
    return err({ code: 'REVOKED', message: `credentials of ${claims.sub} issued before ${new Date(info.revokedBeforeMs).toISOString()} are revoked` });
  }
  return ok(info);
};
