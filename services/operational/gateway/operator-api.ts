/**
 * The operator-authenticated provisioning API: register assets (publishing asset.registry.v1) and
 * receive each device's credential, as an installer would; revoke a device's credentials.
 */
import type { Clock } from '../../platform/clock.ts';
import type { AssetDefinition } from '../../platform/events.ts';
import type { TopicWriter } from '../../platform/topic-writer.ts';
import { TopicNames } from '../../platform/topics.ts';
import { issueDeviceToken, type KeyRing } from './credentials.ts';
import { applyDefinition, laterRevocation, type DeviceInfo, type Directory } from './device-directory.ts';
import { err, ok, type Result } from '../../platform/result.ts';

/** A refusal of the operator API; the HTTP layer sends it as {code, message} with the status. */
export interface OperatorFailure {
  readonly status: number;
  readonly code: 'SCHEMA_INVALID' | 'UNAVAILABLE' | 'UNKNOWN_DEVICE';
  readonly message: string;
}
const fail = (status: number, code: OperatorFailure['code'], message: string): Result<never, OperatorFailure> => err({ status, code, message });

export interface OperatorApiDeps {
  /** The gateway's control-path writer. */
  readonly writer: TopicWriter;
  readonly directory: Directory;
  readonly tokenKeys: KeyRing;
  /** How long an issued credential is valid, ms. */
  readonly tokenTtlMs: number;
  /** Wall clock: credentials and revocations are in real time. */
  readonly wall: Clock;
  readonly onRevoked: (deviceId: string, revokedBeforeMs: number) => void;
}

/** Largest provisioning body: a whole fleet's definitions in one request. */
export const MAX_PROVISION_BYTES = 64 * 1024 * 1024;
const PUBLISH_BATCH = 2000;

const publish = async (deps: OperatorApiDeps, defs: readonly AssetDefinition[]): Promise<void> => {
  for (let i = 0; i < defs.length; i += PUBLISH_BATCH) {
    const slice = defs.slice(i, i + PUBLISH_BATCH);
    await deps.writer.publish(TopicNames.assetRegistry, slice.map((d) => ({ key: d.assetId, value: d })));
  }
};

export const createOperatorApi = (deps: OperatorApiDeps) => ({
  /** POST /v1/provision {assets: AssetDefinition[]} -> {devices: [{deviceId, siteId, token}]} (the body's shape is checked by its schema). */
  async provision(assets: ReadonlyArray<Record<string, unknown>>): Promise<Result<{ published: number; devices: Array<{ deviceId: string; siteId: string; token: string }> }, OperatorFailure>> {
    const now = deps.wall.now();
    const defs: AssetDefinition[] = assets.map((a) => ({
      latitudeDeg: null, longitudeDeg: null, weatherCellId: null, gridRegionId: null, solarKwp: null, batteryKwh: null,
      maxChargeKw: null, maxDischargeKw: null, backupReservePct: null, customerId: null, parentId: null,
      deleted: false, credentialsRevokedBeforeMs: null, updatedAtMs: now, ...a,
    }) as AssetDefinition).map((d) =>
      // Re-provisioning keeps every earlier revocation: the record it publishes carries the latest.
      d.kind === 'DEVICE' ? { ...d, credentialsRevokedBeforeMs: laterRevocation(d.credentialsRevokedBeforeMs, deps.directory.revocations.get(d.assetId)) } : d);
    try {
      await publish(deps, defs);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      return /invalid/i.test(msg) ? fail(400, 'SCHEMA_INVALID', msg) : fail(503, 'UNAVAILABLE', msg);
    }
    // Sites first so devices resolve their limits.
    for (const d of [...defs].sort((a, b) => Number(a.kind === 'DEVICE') - Number(b.kind === 'DEVICE'))) applyDefinition(deps.directory, d.assetId, d);
    const devices = await Promise.all(defs
      .filter((d) => d.kind === 'DEVICE' && d.parentId !== null)
      .map(async (d) => ({ deviceId: d.assetId, siteId: d.parentId ?? '', token: await issueDeviceToken(deps.tokenKeys, { sub: d.assetId, site: d.parentId ?? '', iatMs: now, ttlMs: deps.tokenTtlMs }) })));
    return ok({ published: defs.length, devices });
  },

  /** POST /v1/device/token: a device with a valid credential gets a fresh one (new expiry, the current signing key). */
  async reissue(device: DeviceInfo): Promise<{ token: string; expiresAtMs: number }> {
    const now = deps.wall.now();
    return { token: await issueDeviceToken(deps.tokenKeys, { sub: device.deviceId, site: device.siteId, iatMs: now, ttlMs: deps.tokenTtlMs }), expiresAtMs: Math.floor((now + deps.tokenTtlMs) / 1000) * 1000 };
  },

  /** POST /v1/devices/{id}/revoke: every credential issued until now stops working, on every instance. */
  async revoke(deviceId: string): Promise<Result<{ deviceId: string; credentialsRevokedBeforeMs: number }, OperatorFailure>> {
    const def = deps.directory.deviceDefs.get(deviceId);
    if (!def) return fail(404, 'UNKNOWN_DEVICE', `device ${deviceId} is not registered`);
    const revokedBefore = deps.wall.now() + 1;
    const next: AssetDefinition = { ...def, credentialsRevokedBeforeMs: revokedBefore, updatedAtMs: deps.wall.now() };
    try {
      await publish(deps, [next]);
    } catch (e) {
      return fail(503, 'UNAVAILABLE', e instanceof Error ? e.message : String(e));
    }
    applyDefinition(deps.directory, deviceId, next);
    deps.onRevoked(deviceId, revokedBefore);
    return ok({ deviceId, credentialsRevokedBeforeMs: revokedBefore });
  },

  device(deviceId: string): Result<DeviceInfo, OperatorFailure> {
    const info = deps.directory.devices.get(deviceId);
    return info ? ok(info) : fail(404, 'UNKNOWN_DEVICE', `device ${deviceId} is not registered`);
  },
});
