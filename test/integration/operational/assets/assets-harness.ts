/**
 * Shared pieces of the assets integration tests: a fresh topic prefix per test with the fleet
 * plan's registry records, assets instances started as main.ts runs in production (child
 * processes, so SIGKILL is real), simulated telemetry, and the recomputation of the fleet's
 * aggregate from the telemetry topic itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createAvroCodec, createRegistryClient, type AvroCodec } from '../../../../services/platform/avro-codec.ts';
import type { Aggregate, AssetDefinition, Telemetry } from '../../../../services/platform/events.ts';
import type { KafkaAdapter } from '../../../../services/platform/kafka.ts';
import { topicCatalog, TopicNames, type TopicName } from '../../../../services/platform/topics.ts';
import { deviceAggregate, sumAggregates } from '../../../../services/operational/assets/aggregate.ts';
import { createHierarchy } from '../../../../services/operational/assets/hierarchy.ts';
import { fleetAssetDefinitions, planFleet } from '../../../../services/edge/simulator/provision-plan.ts';
import { testKafka } from '../../../support/clients.ts';
import { freshName, TEST_STACK_ENV, testConfig } from '../../../support/stack-env.ts';

export const PARTITIONS = 6;

export interface AssetsWorld {
  readonly prefix: string;
  readonly group: string;
  readonly kafka: KafkaAdapter;
  readonly codec: AvroCodec;
  readonly definitions: readonly AssetDefinition[];
  topic(t: TopicName): string;
  close(): Promise<void>;
}

const USED: readonly TopicName[] = [
  TopicNames.telemetry, TopicNames.assetRegistry, TopicNames.assetState, TopicNames.assetRollup, TopicNames.weatherObservations, TopicNames.gridMix, TopicNames.fleetForecasts,
];

export const createAssetsWorld = async (name: string, sites: number): Promise<AssetsWorld> => {
  const id = freshName(name).replace(/[^a-z0-9-]/gi, '_');
  const prefix = `${id}.`;
  const kafka = testKafka(id);
  const admin = await kafka.admin();
  try {
    await admin.ensureTopics(topicCatalog().filter((s) => USED.includes(s.name as TopicName)).map((s) => ({ ...s, name: prefix + s.name, partitions: s.name === TopicNames.assetRegistry ? 2 : PARTITIONS })));
  } finally {
    await admin.disconnect();
  }
  const codec = createAvroCodec({ registry: createRegistryClient(testConfig().registryUrl) });
  const definitions = fleetAssetDefinitions(planFleet({ seed: 7, sites, regions: 2, sitesPerFeeder: 10, feedersPerSubstation: 2 }), Date.now());
  const producer = await kafka.producer();
  try {
    const values = await Promise.all(definitions.map((d) => codec.encode(TopicNames.assetRegistry, d)));
    await producer.send(prefix + TopicNames.assetRegistry, definitions.map((d, i) => ({ key: d.assetId, value: values[i] ?? null })));
  } finally {
    await producer.disconnect();
  }
  return {
    prefix, group: `${id}-assets`, kafka, codec, definitions,
    topic: (t) => prefix + t,
    async close() {
      const a = await kafka.admin();
      try {
        await a.deleteTopics(USED.map((t) => prefix + t));
      } finally {
        await a.disconnect();
      }
    },
  };
};

export interface AssetsProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<string>;
  /** The read API's base URL, once the process has logged its port. */
  url(): Promise<string>;
  stop(): Promise<string>;
}

export const startAssets = (w: AssetsWorld, name: string, extraEnv: Record<string, string> = {}): AssetsProcess => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/operational/assets/main.ts'], {
    env: {
      PATH: process.env['PATH'] ?? '',
      ...TEST_STACK_ENV,
      LOG_LEVEL: 'info',
      ASSETS_GROUP_ID: w.group,
      ASSETS_INSTANCE_ID: name,
      ASSETS_TOPIC_PREFIX: w.prefix,
      ASSETS_PORT: '0',
      ASSETS_SESSION_TIMEOUT_MS: '6000',
      ASSETS_TICK_MS: '500',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<string>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? String(code))));
  return {
    child, exited, output: () => out,
    async url() {
      for (let i = 0; i < 600; i++) {
        const m = /"msg":"assets starting"[^\n]*"port":(\d+)/.exec(out);
        if (m !== null) return `http://127.0.0.1:${m[1]}`;
        if (child.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`assets ${name} did not start:\n${out.slice(-3000)}`);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
};

/** The frame device i sends in a round (seq = round): values vary by round and device. */
export const frameFor = (d: AssetDefinition, i: number, round: number, nowMs: number): Telemetry => {
  const solar = ((round * 7 + i * 3) % 50) / 10;
  const battery = (((round + i) % 9) - 4) / 2;
  return {
    deviceId: d.assetId, siteId: d.parentId ?? '', seq: round, measuredAtMs: nowMs, receivedAtMs: nowMs,
    socPct: (round * 13 + i * 17) % 101, batteryKw: battery, solarKw: solar, loadKw: 1.5, gridKw: 1.5 - solar - battery,
    batteryTempC: 25, mode: 'SELF_CONSUMPTION', alarms: (round + i) % 23 === 0 ? ['HIGH_TEMP'] : [], activeCommandId: null,
  };
};

export const devicesOf = (w: AssetsWorld): AssetDefinition[] => w.definitions.filter((d) => d.kind === 'DEVICE');

/** Sends one round of frames for the devices whose index passes `which`. */
export const sendRound = async (w: AssetsWorld, round: number, which: (i: number) => boolean = () => true): Promise<number> => {
  const frames = devicesOf(w).flatMap((d, i) => (which(i) ? [frameFor(d, i, round, Date.now())] : []));
  const producer = await w.kafka.producer();
  try {
    const values = await Promise.all(frames.map((f) => w.codec.encode(TopicNames.telemetry, f)));
    await producer.send(w.topic(TopicNames.telemetry), frames.map((f, k) => ({ key: f.siteId, value: values[k] ?? null })));
  } finally {
    await producer.disconnect();
  }
  return frames.length;
};

/** One frame per site, every intervalMs, until stopped; seq per device counts up from 1. */
export const runTelemetry = (w: AssetsWorld, intervalMs: number): { stop(): Promise<number> } => {
  let running = true;
  let round = 0;
  const loop = (async () => {
    while (running) {
      round++;
      await sendRound(w, round);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return round;
    },
  };
};

/** Sum of one counter (all label sets, or those whose labels contain `labels`) on an instance's /metrics. */
export const counter = async (url: string, name: string, labels = ''): Promise<number> => {
  const text = await (await fetch(`${url}/metrics`)).text();
  let n = 0;
  for (const line of text.split('\n')) if (line.startsWith(name) && line.includes(labels)) n += Number(line.split(' ').at(-1));
  return n;
};

/** The fleet's aggregate recomputed from the newest frame of every device on the telemetry topic. */
export const fleetFromTelemetry = async (w: AssetsWorld, pick: 'newest' | 'second-newest' = 'newest'): Promise<Aggregate> => {
  const h = createHierarchy();
  for (const d of w.definitions) h.apply(d.assetId, d);
  const frames = new Map<string, Telemetry[]>();
  for (const r of await w.kafka.readAll(w.topic(TopicNames.telemetry))) {
    if (r.value === null) continue;
    const d = await w.codec.decode(TopicNames.telemetry, r.value);
    if (!d.ok) throw new Error(d.error);
    frames.set(d.value.deviceId, [...(frames.get(d.value.deviceId) ?? []), d.value].sort((a, b) => a.seq - b.seq));
  }
  return sumAggregates(
    [...frames.entries()].map(([deviceId, list]) => {
      const t = pick === 'newest' ? list.at(-1) : (list.at(-2) ?? list.at(-1));
      if (t === undefined) throw new Error(`no frame of ${deviceId}`);
      const m = { socPct: t.socPct, batteryKw: t.batteryKw, solarKw: t.solarKw, loadKw: t.loadKw, gridKw: t.gridKw, alarmCount: t.alarms.length };
      return deviceAggregate(m, h.limitsOf(deviceId), true);
    }),
  );
};

/** The development viewer token: the assets processes of these tests run without ASSETS_TOKENS. */
export const READ_TOKEN = { authorization: 'Bearer dev-viewer-token' } as const;

export const getJson = async <T>(url: string): Promise<T> => {
  const res = await fetch(url, { headers: READ_TOKEN });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};

export const eventually = async (check: () => Promise<boolean>, timeoutMs: number, everyMs = 200): Promise<boolean> => {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return check().catch(() => false);
};
