/**
 * What the gateway knows of devices, folded from asset.registry.v1 (compacted): each device's
 * site, power limits and credential revocation. Pure: `applyDefinition` returns a new directory
 * entry set; the shell feeds it from Kafka.
 */
import type { AssetDefinition } from '../../platform/events.ts';
import { err, ok, type Result } from '../../platform/result.ts';
import type { DeviceClaims } from './credentials.ts';
import type { Rejection } from '../../platform/device-protocol.ts';

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
  /** Device ids per site, so a site record refreshes its devices without scanning them all. */
  readonly devicesBySite: Map<string, Set<string>>;
  /**
   * The highest credentialsRevokedBeforeMs seen per device, kept across later records and
   * deletion: a re-provisioned device's record (revocation null) must not bring a revoked,
   * perhaps stolen, credential back to life.
   */
  readonly revocations: Map<string, number>;
}

export const emptyDirectory = (): Directory => ({ devices: new Map(), sites: new Map(), deviceDefs: new Map(), devicesBySite: new Map(), revocations: new Map() });

/** The later of two revocation points (null: none). */
export const laterRevocation = (a: number | null | undefined, b: number | null | undefined): number | null =>
  a == null ? (b ?? null) : b == null ? a : Math.max(a, b);

const unlinkDevice = (dir: Directory, deviceId: string): void => {
  const parent = dir.deviceDefs.get(deviceId)?.parentId;
  if (parent != null) dir.devicesBySite.get(parent)?.delete(deviceId);
};

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
    revokedBeforeMs: laterRevocation(def.credentialsRevokedBeforeMs, dir.revocations.get(def.assetId)),
  };
};

/** Folds one registry record (mutating the maps: the directory is the shell's working state). */
export const applyDefinition = (dir: Directory, assetId: string, def: AssetDefinition | null): void => {
  if (def === null || def.deleted) {
    unlinkDevice(dir, assetId);
    dir.sites.delete(assetId);
    dir.deviceDefs.delete(assetId);
    dir.devices.delete(assetId);
    return;
  }
  if (def.kind === 'SITE') {
    dir.sites.set(assetId, def);
    // A site record may arrive after its devices': refresh their limits.
    for (const deviceId of dir.devicesBySite.get(assetId) ?? []) {
      const d = dir.deviceDefs.get(deviceId);
      const info = d && resolveDevice(dir, d);
      if (info) dir.devices.set(deviceId, info);
    }
  } else if (def.kind === 'DEVICE') {
    const revoked = laterRevocation(def.credentialsRevokedBeforeMs, dir.revocations.get(assetId));
    if (revoked !== null) dir.revocations.set(assetId, revoked);
    unlinkDevice(dir, assetId);
    dir.deviceDefs.set(assetId, def);
    if (def.parentId !== null) {
      const set = dir.devicesBySite.get(def.parentId) ?? new Set<string>();
      set.add(assetId);
      dir.devicesBySite.set(def.parentId, set);
    }
    const info = resolveDevice(dir, def);
    if (info) dir.devices.set(assetId, info);
  }
};

/** Decides whether a verified credential may connect now. */
export const admit = (dir: Directory, claims: Pick<DeviceClaims, 'sub' | 'site' | 'iat'>): Result<DeviceInfo, Rejection> => {
  const info = dir.devices.get(claims.sub);
  if (!info) return err({ code: 'UNKNOWN_DEVICE', message: `device ${claims.sub} is not registered (yet); retry later` });
  if (info.siteId !== claims.site) return err({ code: 'FORBIDDEN', message: `credential names site ${claims.site} but device ${claims.sub} belongs to ${info.siteId}` });
  if (info.revokedBeforeMs !== null && claims.iat < info.revokedBeforeMs) {
    return err({ code: 'REVOKED', message: `credentials of ${claims.sub} issued before ${new Date(info.revokedBeforeMs).toISOString()} are revoked` });
  }
  return ok(info);
};
