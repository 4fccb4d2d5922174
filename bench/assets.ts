/**
 * `npm run bench -- assets [--sites=2000] [--events=100000] [--instances=1,2]`
 *
 * Telemetry events per second through the asset actors: the telemetry topic is filled first
 * (`sites` sites, one frame per site per round), then 1 and then 2 assets processes (group
 * gridfleet-assets on a fresh topic prefix each, 24 partitions) consume it; the rate is events
 * applied (summed over the instances' /metrics) from the first to the last. Each run also checks
 * the fleet aggregate counts every device once. Baseline in the same run: the pure shards fed the
 * same frames in-process (no Kafka, no Avro), which is what the Kafka shell costs against.
 * Runs its own Kafka and registry on ports 22000+ (31092, 30081); assets read APIs on 22200+.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createAvroCodec, createRegistryClient, type AvroCodec } from '../services/platform/avro-codec.ts';
import type { Telemetry } from '../services/platform/events.ts';
import { createKafkaAdapter, type KafkaAdapter } from '../services/platform/kafka.ts';
import { createLogger } from '../services/platform/logger.ts';
import { topicCatalog, TopicNames } from '../services/platform/topics.ts';
import { REPO_ROOT } from '../services/embedded/stack/layout.ts';
import { waitUntil } from '../services/embedded/stack/processes.ts';
import { createHierarchy } from '../services/operational/assets/hierarchy.ts';
import { createSiteShard } from '../services/operational/assets/site-shard.ts';
import { fleetAssetDefinitions, planFleet } from '../services/edge/simulator/provision-plan.ts';
import { startBenchStack, stopAll, type BenchStack } from './_harness.ts';
import type { Benchmark } from './types.ts';
import { openTopicWriter } from '../services/platform/topic-writer.ts';

const PORT_BASE = 22000;
const USED = [TopicNames.telemetry, TopicNames.assetRegistry, TopicNames.assetState, TopicNames.assetRollup] as const;

const frames = (devices: ReadonlyArray<{ deviceId: string; siteId: string }>, events: number, t0: number): Telemetry[] =>
  Array.from({ length: events }, (_, k) => {
    const d = devices[k % devices.length] ?? { deviceId: 'dev', siteId: 'site' };
    const round = Math.floor(k / devices.length) + 1;
    const solar = ((round * 7 + k) % 50) / 10;
    return {
      deviceId: d.deviceId, siteId: d.siteId, seq: round, measuredAtMs: t0 + round, receivedAtMs: t0 + round, socPct: (round * 13 + k) % 101, batteryKw: ((k % 9) - 4) / 2,
      solarKw: solar, loadKw: 1.5, gridKw: 1.5 - solar, batteryTempC: 25, mode: 'SELF_CONSUMPTION', alarms: [], activeCommandId: null,
    };
  });

/** Applied telemetry events summed over the instances' /metrics (each frame is applied once; re-reads count as replays). */
const appliedSum = async (urls: readonly string[]): Promise<number> => {
  let n = 0;
  for (const u of urls) {
    const text = await (await fetch(`${u}/metrics`)).text();
    for (const m of text.matchAll(/^assets_telemetry_events_total\{result="(applied)"\} (\d+)/gm)) n += Number(m[2]);
  }
  return n;
};

interface RunResult { eventsPerSec: number; seconds: number; fleetDevices: number }

const runOnce = async (
  bench: BenchStack, kafka: KafkaAdapter, codec: AvroCodec, instances: number, list: readonly Telemetry[], registry: Parameters<typeof fleetAssetDefinitions>[0], progress: (s: string) => void,
): Promise<RunResult> => {
  const prefix = `bench-${instances}-${Date.now().toString(36)}.`;
  const admin = await kafka.admin();
  try {
    // Right after the broker starts, metadata may still say "does not host this topic-partition".
    const specs = topicCatalog().filter((s) => (USED as readonly string[]).includes(s.name)).map((s) => ({ ...s, name: prefix + s.name }));
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.ensureTopics(specs);
        break;
      } catch (e) {
        if (attempt >= 10) throw e;
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  } finally {
    await admin.disconnect();
  }
  const writer = await openTopicWriter({ kafka, codec, lanes: 4 });
  try {
    const defs = fleetAssetDefinitions(registry, Date.now());
    await writer.publish(TopicNames.assetRegistry, defs.map((d) => ({ key: d.assetId, value: d })), { to: prefix + TopicNames.assetRegistry });
    progress(`${instances} instance(s): producing ${list.length} telemetry events...`);
    for (let i = 0; i < list.length; i += 5_000) {
      const chunk = list.slice(i, i + 5_000);
      await writer.publish(TopicNames.telemetry, chunk.map((f) => ({ key: f.siteId, value: f })), { to: prefix + TopicNames.telemetry });
    }
  } finally {
    await writer.close();
  }
  const procs: ChildProcess[] = [];
  const urls: string[] = [];
  try {
    for (let i = 0; i < instances; i++) {
      const port = PORT_BASE + 200 + instances * 10 + i;
      urls.push(`http://127.0.0.1:${port}`);
      procs.push(spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'services/operational/assets/main.ts')], {
        cwd: REPO_ROOT,
        env: { ...process.env, ...bench.env, ASSETS_PORT: String(port), ASSETS_TOPIC_PREFIX: prefix, ASSETS_INSTANCE_ID: `bench-${instances}-${i}`, ASSETS_GROUP_ID: `${prefix}assets`, LOG_LEVEL: process.env['BENCH_ASSETS_LOG'] ?? 'error', ASSETS_STALE_AFTER_MS: String(7 * 24 * 3_600_000) },
        stdio: ['ignore', 'ignore', 'inherit'],
      }));
    }
    let first = 0;
    let firstAt = 0;
    const done = await waitUntil(async () => {
      const n = await appliedSum(urls).catch(() => 0);
      if (firstAt === 0 && n > 0) {
        first = n;
        firstAt = Date.now();
      }
      return n >= list.length;
    }, 600_000, 100);
    if (!done) throw new Error(`${instances} instance(s) did not apply ${list.length} events in 10 minutes`);
    const seconds = Math.max(0.001, (Date.now() - firstAt) / 1000);
    let fleetDevices = 0;
    await waitUntil(async () => {
      const res = await fetch(`${urls[0] ?? ''}/v1/assets/fleet`, { headers: { authorization: 'Bearer dev-viewer-token' } });
      fleetDevices = res.ok ? ((await res.json()) as { aggregate: { deviceCount: number } }).aggregate.deviceCount : 0;
      return fleetDevices === registry.sites.length;
    }, 60_000, 250);
    return { eventsPerSec: (list.length - first) / seconds, seconds, fleetDevices };
  } finally {
    await stopAll(procs);
  }
};

const bench: Benchmark = {
  name: 'assets',
  description: 'telemetry events/s through the asset actors with 1 and 2 instances, against the pure shards in-process',
  async run({ options, progress }) {
    const sites = Number(options['sites'] ?? 2_000);
    const events = Number(options['events'] ?? 100_000);
    const counts = (options['instances'] ?? '1,2').split(',').map(Number).filter((n) => n > 0);
    const plan = planFleet({ seed: 1, sites });
    const list = frames(plan.sites, events, Date.now());

    // Baseline: the pure shards alone, same frames, drained every 500 (as a Kafka batch would be).
    const h = createHierarchy();
    for (const d of fleetAssetDefinitions(plan, 0)) h.apply(d.assetId, d);
    const shards = Array.from({ length: 24 }, (_, p) => createSiteShard(p, h, Number.MAX_SAFE_INTEGER));
    const t0 = performance.now();
    list.forEach((f, i) => {
      // A site always lands in the same shard, as telemetry keyed by site does.
      const s = shards[(i % plan.sites.length) % 24];
      s?.handleTelemetry(f, 0, 0);
      if (i % 500 === 499) s?.flush(0, i, false);
    });
    const pureEventsPerSec = events / ((performance.now() - t0) / 1000);

    let stack: BenchStack | undefined;
    const results = new Map<number, RunResult>();
    try {
      progress('starting Kafka and the registry...');
      stack = await startBenchStack(PORT_BASE, ['kafka', 'registry']);
      const kafka = createKafkaAdapter({ brokers: stack.config.kafkaBrokers, clientId: 'bench-assets', logger: createLogger('error') });
      const codec = createAvroCodec({ registry: createRegistryClient(stack.config.registryUrl) });
      for (const n of counts) {
        const r = await runOnce(stack, kafka, codec, n, list, plan, progress);
        progress(`${n} instance(s): ${Math.round(r.eventsPerSec)} events/s over ${r.seconds.toFixed(1)} s, fleet counts ${r.fleetDevices} devices`);
        results.set(n, r);
      }
    } finally {
      await stack?.dispose();
    }
    const one = results.get(1)?.eventsPerSec ?? 0;
    const two = results.get(2)?.eventsPerSec ?? 0;
    const best = Math.max(0, ...[...results.values()].map((r) => r.eventsPerSec));
    return {
      rows: [
        ...[...results.entries()].map(([n, r]): [string, string, string] => [`${n} instance(s)`, `${Math.round(r.eventsPerSec)} events/s`, `${r.seconds.toFixed(1)} s; fleet counts ${r.fleetDevices}/${sites} devices`]),
        ['pure shards in-process', `${Math.round(pureEventsPerSec)} events/s`, 'no Kafka, no Avro: the actors alone'],
        ['2 instances / 1 instance', one > 0 ? (two / one).toFixed(2) : 'n/a', 'both share the same 2 cores with Kafka here'],
      ],
      metrics: {
        assetsEventsPerSec: Math.round(best),
        assetsEventsPerSecOneInstance: Math.round(one),
        assetsEventsPerSecTwoInstances: Math.round(two),
        pureActorEventsPerSec: Math.round(pureEventsPerSec),
        twoOverOneRatio: one > 0 ? Number((two / one).toFixed(2)) : 0,
      },
      parameters: { sites, events, instances: counts.join(',') },
    };
  },
};

export default bench;
