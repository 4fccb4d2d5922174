/** An in-process gateway on the test stack, and helpers to provision and connect devices. */
import { createAvroCodec, createRegistryClient } from '../../services/platform/avro-codec.ts';
import type { AssetDefinition } from '../../services/platform/events.ts';
import { createLogger } from '../../services/platform/logger.ts';
import { parseGatewayConfig } from '../../services/operational/gateway/config.ts';
import { startGateway, type Gateway } from '../../services/operational/gateway/gateway.ts';
import { freshName, TEST_STACK_ENV } from './stack-env.ts';
import { testKafka } from './clients.ts';

export const OPERATOR = 'test-operator-token';

export const startTestGateway = async (extra: Record<string, string> = {}): Promise<Gateway> => {
  const config = parseGatewayConfig({ ...TEST_STACK_ENV, GATEWAY_PORT: '0', OPERATOR_TOKEN: OPERATOR, GATEWAY_INSTANCE_ID: freshName('gw'), ...extra });
  return startGateway(config, {
    kafka: testKafka('gateway-test'),
    codec: createAvroCodec({ registry: createRegistryClient(config.platform.registryUrl) }),
    logger: createLogger('error', { service: 'gateway-test' }),
  });
};

export interface ProvisionedDevice {
  readonly deviceId: string;
  readonly siteId: string;
  readonly token: string;
}

const def = (assetId: string, kind: AssetDefinition['kind'], parentId: string | null, extra: Partial<AssetDefinition> = {}): Partial<AssetDefinition> => ({
  assetId, kind, parentId, name: assetId, ...extra,
});

/** Provisions `count` sites with one device each under a fresh feeder; returns the credentials. */
export const provisionSites = async (gatewayUrl: string, count: number): Promise<ProvisionedDevice[]> => {
  const feeder = freshName('feeder');
  const assets: Array<Partial<AssetDefinition>> = [def(feeder, 'FEEDER', null)];
  for (let i = 0; i < count; i++) {
    const siteId = `${feeder}-site-${i}`;
    assets.push(def(siteId, 'SITE', feeder, { solarKwp: 6, batteryKwh: 13.5, maxChargeKw: 5, maxDischargeKw: 5, backupReservePct: 20 }));
    assets.push(def(`${siteId}-dev`, 'DEVICE', siteId));
  }
  const res = await fetch(`${gatewayUrl}/v1/provision`, { method: 'POST', headers: { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' }, body: JSON.stringify({ assets }) });
  if (res.status !== 200) throw new Error(`provision failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { devices: ProvisionedDevice[] }).devices;
};

export const frame = (seq: number, nowMs: number, extra: Record<string, unknown> = {}) => ({
  seq, measuredAtMs: nowMs, socPct: 50, batteryKw: 1, solarKw: 2, loadKw: 3, gridKw: 0, batteryTempC: 25,
  mode: 'SELF_CONSUMPTION' as const, alarms: [] as string[], activeCommandId: null, ...extra,
});
