/** Helpers of the control integration tests: a control instance on the test stack, asset records, HTTP calls. */
import { createAvroCodec, createRegistryClient } from '../../../../services/platform/avro-codec.ts';
import type { AssetDefinition, AssetState } from '../../../../services/platform/events.ts';
import { createLogger } from '../../../../services/platform/logger.ts';
import { TopicNames } from '../../../../services/platform/topics.ts';
import { parseControlConfig } from '../../../../services/operational/control/config.ts';
import { startControl, type Control } from '../../../../services/operational/control/control.ts';
import { testKafka } from '../../../support/clients.ts';
import { freshName, TEST_STACK_ENV, testConfig } from '../../../support/stack-env.ts';

export const codec = createAvroCodec({ registry: createRegistryClient(testConfig().registryUrl) });
export const kafka = testKafka('control-test');

export const TOKENS = { operator: 'op-token-test-1', viewer: 'viewer-token-test-1' } as const;

export const startTestControl = async (customers: ReadonlyArray<{ siteId: string; token: string }> = [], logLines: string[] = []): Promise<Control> => {
  const entries = [`operator:${TOKENS.operator}:alice`, `viewer:${TOKENS.viewer}:victor`, ...customers.map((c) => `customer:${c.siteId}:${c.token}`)];
  const config = parseControlConfig({ ...TEST_STACK_ENV, CONTROL_PORT: '0', CONTROL_TOKENS: entries.join(','), CONTROL_INSTANCE_ID: freshName('control'), CONTROL_REALLOCATE_SEC: '1', CONTROL_LEADER_GROUP: freshName('control-leader') });
  return startControl(config, { kafka, codec, logger: createLogger('info', { service: 'control-test' }, (l) => logLines.push(l)) });
};

export const siteState = (assetId: string, version: number, extra: Partial<AssetState> = {}, batteryKw = 0): AssetState => ({
  assetId, kind: 'SITE', version, updatedAtMs: Date.now(), lastSeenMs: Date.now(), online: true, socPct: 80, mode: 'SELF_CONSUMPTION', alarms: [], activeCommandIds: [],
  aggregate: { availableEnergyKwh: 8, chargeHeadroomKw: 5, dischargeHeadroomKw: 5, solarKw: 0, loadKw: 1, gridKw: 1 - batteryKw, batteryKw, onlineCount: 1, deviceCount: 1, alarmCount: 0 },
  lastSeq: null, ...extra,
});

export const assetDef = (assetId: string, kind: AssetDefinition['kind'], parentId: string | null, extra: Partial<AssetDefinition> = {}): AssetDefinition => ({
  assetId, kind, parentId, name: assetId, latitudeDeg: null, longitudeDeg: null, weatherCellId: null, gridRegionId: null, solarKwp: 6, batteryKwh: 13.5,
  maxChargeKw: 5, maxDischargeKw: 5, backupReservePct: 20, customerId: null, updatedAtMs: Date.now(), deleted: false, credentialsRevokedBeforeMs: null, ...extra,
});

/** Stands in for the asset actors: publishes site states to asset.state.v1. */
export const publishStates = async (states: readonly AssetState[]): Promise<void> => {
  const producer = await kafka.producer();
  try {
    await producer.send(TopicNames.assetState, await Promise.all(states.map(async (s) => ({ key: s.assetId, value: await codec.encode(TopicNames.assetState, s) }))));
  } finally {
    await producer.disconnect();
  }
};

export const publishDefs = async (defs: readonly AssetDefinition[]): Promise<void> => {
  const producer = await kafka.producer();
  try {
    await producer.send(TopicNames.assetRegistry, await Promise.all(defs.map(async (d) => ({ key: d.assetId, value: await codec.encode(TopicNames.assetRegistry, d) }))));
  } finally {
    await producer.disconnect();
  }
};

export const call = async (url: string, method: string, token: string | null, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== null) headers['authorization'] = `Bearer ${token}`;
  const res = await fetch(url, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

export const until = async (check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
};
