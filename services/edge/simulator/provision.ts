/**
 * Provisioning through the platform, as an installer would: the fleet's asset definitions go to
 * the gateway's operator API, which publishes them to asset.registry.v1 and answers with each
 * device's credential. Credentials are kept in a file so the simulator's processes share them.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AssetDefinition } from '../../platform/events.ts';
import { PlatformError } from '../../platform/errors.ts';

export type Credentials = Record<string, string>;

// Small enough that a 2,000-site demo reports its progress a few times (the operator API answers each in well under a second).
const CHUNK = 2_000;

export const provisionFleet = async (opts: { gatewayUrl: string; operatorToken: string; assets: readonly AssetDefinition[]; progress?: (done: number, total: number) => void }): Promise<Credentials> => {
  const credentials: Credentials = {};
  // Parents before children, so every gateway resolves a device's site as it reads the registry.
  const order: Record<AssetDefinition['kind'], number> = { FLEET: 0, REGION: 1, SUBSTATION: 2, FEEDER: 3, SITE: 4, DEVICE: 5 };
  const assets = [...opts.assets].sort((a, b) => order[a.kind] - order[b.kind]);
  for (let i = 0; i < assets.length; i += CHUNK) {
    const res = await fetch(`${opts.gatewayUrl}/v1/provision`, {
      method: 'POST',
      headers: { authorization: `Bearer ${opts.operatorToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ assets: assets.slice(i, i + CHUNK) }),
    });
    if (!res.ok) throw new PlatformError('STACK_START_FAILED', `provisioning failed: ${res.status} ${await res.text()}`);
    for (const d of ((await res.json()) as { devices: Array<{ deviceId: string; token: string }> }).devices) credentials[d.deviceId] = d.token;
    opts.progress?.(Math.min(assets.length, i + CHUNK), assets.length);
  }
  return credentials;
};

export const saveCredentials = (file: string, credentials: Credentials): void => {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(credentials), { mode: 0o600 });
};

export const loadCredentials = (file: string): Credentials | undefined =>
  existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Credentials) : undefined;
