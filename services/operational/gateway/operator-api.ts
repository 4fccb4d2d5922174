/**
 * The operator-authenticated provisioning API: register assets (publishing asset.registry.v1) and
 * receive each device's credential, as an installer would; revoke a device's credentials.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AvroCodec } from '../../platform/avro-codec.ts';
import type { Clock } from '../../platform/clock.ts';
import type { AssetDefinition } from '../../platform/events.ts';
import type { Producer } from '../../platform/kafka.ts';
import { TopicNames } from '../../platform/topics.ts';
import { issueDeviceToken } from './credentials.ts';
import { applyDefinition, type Directory } from './device-directory.ts';
import { readJsonBody, sendError, sendJson } from '../../platform/http.ts';

export interface OperatorApiDeps {
  readonly producer: Producer;
  readonly codec: AvroCodec;
  readonly directory: Directory;
  readonly tokenSecret: string;
  /** Wall clock: credentials and revocations are in real time. */
  readonly wall: Clock;
  readonly onRevoked: (deviceId: string, revokedBeforeMs: number) => void;
}

const MAX_PROVISION_BYTES = 64 * 1024 * 1024;
const PUBLISH_BATCH = 2000;

const publish = async (deps: OperatorApiDeps, defs: readonly AssetDefinition[]): Promise<void> => {
  for (let i = 0; i < defs.length; i += PUBLISH_BATCH) {
    const slice = defs.slice(i, i + PUBLISH_BATCH);
    const messages = await Promise.all(slice.map(async (d) => ({ key: d.assetId, value: await deps.codec.encode(TopicNames.assetRegistry, d) })));
    await deps.producer.send(TopicNames.assetRegistry, messages);
  }
};

export const createOperatorApi = (deps: OperatorApiDeps) => ({
  /** POST /v1/provision {assets: AssetDefinition[]} -> {devices: [{deviceId, siteId, token}]} */
  async provision(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJsonBody(req, MAX_PROVISION_BYTES);
    if (!body.ok) return sendError(res, body.error.status, body.error.code, body.error.message);
    const assets = (body.value as { assets?: unknown }).assets;
    if (!Array.isArray(assets) || assets.length === 0) return sendError(res, 400, 'SCHEMA_INVALID', 'body must be {"assets": [AssetDefinition, ...]}');
    const now = deps.wall.now();
    const defs: AssetDefinition[] = assets.map((a: Record<string, unknown>) => ({
      latitudeDeg: null, longitudeDeg: null, weatherCellId: null, gridRegionId: null, solarKwp: null, batteryKwh: null,
      maxChargeKw: null, maxDischargeKw: null, backupReservePct: null, customerId: null, parentId: null,
      deleted: false, credentialsRevokedBeforeMs: null, updatedAtMs: now, ...a,
    }) as AssetDefinition);
    try {
      await publish(deps, defs);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      return /invalid/i.test(msg) ? sendError(res, 400, 'SCHEMA_INVALID', msg) : sendError(res, 503, 'UNAVAILABLE', msg);
    }
    // Sites first so devices resolve their limits.
    for (const d of [...defs].sort((a, b) => Number(a.kind === 'DEVICE') - Number(b.kind === 'DEVICE'))) applyDefinition(deps.directory, d.assetId, d);
    const devices = defs
      .filter((d) => d.kind === 'DEVICE' && d.parentId !== null)
      .map((d) => ({ deviceId: d.assetId, siteId: d.parentId ?? '', token: issueDeviceToken(deps.tokenSecret, { sub: d.assetId, site: d.parentId ?? '', iat: now }) }));
    sendJson(res, 200, { published: defs.length, devices });
  },

  /** POST /v1/devices/{id}/revoke: every credential issued until now stops working, on every instance. */
  async revoke(deviceId: string, res: ServerResponse): Promise<void> {
    const def = deps.directory.deviceDefs.get(deviceId);
    if (!def) return sendError(res, 404, 'UNKNOWN_DEVICE', `device ${deviceId} is not registered`);
    const revokedBefore = deps.wall.now() + 1;
    const next: AssetDefinition = { ...def, credentialsRevokedBeforeMs: revokedBefore, updatedAtMs: deps.wall.now() };
    try {
      await publish(deps, [next]);
    } catch (e) {
      return sendError(res, 503, 'UNAVAILABLE', e instanceof Error ? e.message : String(e));
    }
    applyDefinition(deps.directory, deviceId, next);
    deps.onRevoked(deviceId, revokedBefore);
    sendJson(res, 200, { deviceId, credentialsRevokedBeforeMs: revokedBefore });
  },

  device(deviceId: string, res: ServerResponse): void {
    const info = deps.directory.devices.get(deviceId);
    if (!info) return sendError(res, 404, 'UNKNOWN_DEVICE', `device ${deviceId} is not registered`);
    sendJson(res, 200, info);
  },
});
