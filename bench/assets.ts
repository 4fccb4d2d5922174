/**
 * `npm run bench -- assets [--mode=backlog|live] [--sites=2000] [--events=100000] [--instances=1,2]`
 * (live: `[--intervalSec=10] [--warmupSec=20] [--measureSec=40]`, see _assets-live.ts)
 *
 * Backlog mode (the default):
 * Telemetry events per second through the asset actors: the telemetry topic is filled first
 * (`sites` sites, one frame per site per round), then 1 and then 2 assets processes (group
 * gridfleet-assets on a fresh topic prefix each, 24 partitions) consume it; the rate is events
 * applied (summed over the instances' /metrics) from the first to the last. Each run also checks
 * the fleet aggregate counts every device once. Baseline in the same run: the pure shards fed the
 * same frames in-process (no Kafka, no Avro), which is what the Kafka shell costs against.
 * Runs its own Kafka and registry on ports 22000+ (31092, 30081; --portBase moves them); assets read APIs on 22200+.
 */
import type { ChildProcess } from 'node:child_process';
import { createAvroCodec, createRegistryClient, type AvroCodec } from '../services/platform/avro-codec.ts';
import type { Telemetry } from '../services/platform/events.ts';
import { createKafkaAdapter, type KafkaAdapter } from '../services/platform/kafka.ts';
import { createLogger } from '../services/platform/logger.ts';
import { TopicNames } from '../services/platform/topics.ts';
import { waitUntil } from '../services/embedded/stack/processes.ts';
import { createHierarchy } from '../services/operational/assets/hierarchy.ts';
import { createSiteShard } from '../services/operational/assets/site-shard.ts';
import { fleetAssetDefinitions, planFleet, type FleetPlan } from '../services/edge/simulator/provision-plan.ts';
import { runLive, type LiveResult } from './_assets-live.ts';
import { appliedSum, prepareWorld, spawnAssets } from './_assets-world.ts';
import { startBenchStack, stopAll, type BenchStack } from './_harness.ts';
import type { BenchOutcome, Benchmark } from './types.ts';
import { openTopicWriter } from '../services/platform/topic-writer.ts';

/** Ports of the bench's own stack (--portBase to move it off another stack's ports). */
let PORT_BASE = 22000;

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

interface RunResult { eventsPerSec: number; seconds: number; fleetDevices: number }

const runOnce = async (
  bench: BenchStack, kafka: KafkaAdapter, codec: AvroCodec, instances: number, list: readonly Telemetry[], registry: FleetPlan, progress: (s: string) => void,
): Promise<RunResult> => {
  const prefix = `bench-${instances}-${Date.now().toString(36)}.`;
  await prepareWorld(kafka, codec, prefix, registry);
  const writer = await openTopicWriter({ kafka, codec, lanes: 4 });
  try {
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
      const a = spawnAssets(bench, prefix, `bench-${instances}-${i}`, PORT_BASE + 200 + instances * 10 + i);
      urls.push(a.url);
      procs.push(a.child);
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

const live = async (plan: FleetPlan, counts: readonly number[], options: Readonly<Record<string, string>>, progress: (s: string) => void): Promise<BenchOutcome> => {
  const intervalSec = Number(options['intervalSec'] ?? 10);
  const warmupSec = Number(options['warmupSec'] ?? 20);
  const measureSec = Number(options['measureSec'] ?? 40);
  let stack: BenchStack | undefined;
  const results: LiveResult[] = [];
  try {
    progress('starting Kafka and the registry...');
    stack = await startBenchStack(PORT_BASE, ['kafka', 'registry']);
    const kafka = createKafkaAdapter({ brokers: stack.config.kafkaBrokers, clientId: 'bench-assets-live', logger: createLogger('error') });
    const codec = createAvroCodec({ registry: createRegistryClient(stack.config.registryUrl) });
    for (const n of counts) results.push(await runLive(stack, kafka, codec, plan, { instances: n, intervalSec, warmupSec, measureSec, portBase: PORT_BASE + 300 + n * 10 }, progress));
  } finally {
    await stack?.dispose();
  }
  const by = (n: number): LiveResult | undefined => results.find((r) => r.instances === n);
  const worst = (f: (r: LiveResult) => number): number => Math.max(...results.map(f));
  const round = (x: number, d = 0): number => (Number.isFinite(x) ? Number(x.toFixed(d)) : -1);
  const metrics: Record<string, number> = {
    rollupLagP99Ms: round(worst((r) => r.lagP99Ms)),
    restoreMs: round(worst((r) => r.restoreMs)),
    stateBytesPerEvent: round(worst((r) => r.stateBytesPerEvent), 1),
    offeredEventsPerSec: round(results[0]?.offeredPerSec ?? 0),
  };
  for (const r of results) {
    const tag = r.instances === 1 ? 'OneInstance' : r.instances === 2 ? 'TwoInstances' : `${r.instances}Instances`;
    Object.assign(metrics, {
      [`eventsPerSecPerInstance${tag}`]: round(r.appliedPerSecPerInstance), [`eventsPerSec${tag}`]: round(r.appliedPerSec), [`rollupLagP50Ms${tag}`]: round(r.lagP50Ms),
      [`rollupLagP99Ms${tag}`]: round(r.lagP99Ms), [`restoreMs${tag}`]: round(r.restoreMs), [`killToCaughtUpMs${tag}`]: round(r.killToCaughtUpMs), [`stateBytesPerEvent${tag}`]: round(r.stateBytesPerEvent, 1),
    });
    metrics[`loadAvg${tag}`] = round(r.loadAvg, 1);
    for (const s of r.stages) metrics[`stageP99Ms${s.key}${tag}`] = round(s.p99Ms);
  }
  const one = by(1);
  const two = by(2);
  if (one !== undefined && two !== undefined) metrics['twoOverOneLagP99Ratio'] = round(two.lagP99Ms / one.lagP99Ms, 2);
  return {
    rows: results.flatMap((r): Array<[string, string, string]> => [
      [`${r.instances} instance(s): applied`, `${Math.round(r.appliedPerSec)} events/s`, `${Math.round(r.appliedPerSecPerInstance)} per instance; offered ${Math.round(r.offeredPerSec)}/s; machine load ${r.loadAvg.toFixed(1)} (1 min, 2 cores)`],
      [`${r.instances} instance(s): rollup lag`, `p99 ${Math.round(r.lagP99Ms)} ms`, `p50 ${Math.round(r.lagP50Ms)} ms over ${r.lagSamples} fleet updates (frame to fleet aggregate, upper bound per update)`],
      ...r.stages.map((s): [string, string, string] => [`${r.instances} instance(s): stage ${s.stage}`, `p99 <= ${s.p99Ms} ms`, `p50 <= ${s.p50Ms} ms (histogram buckets, age of the oldest frame)`]),
      [`${r.instances} instance(s): bytes written per event`, r.stateBytesPerEvent.toFixed(1), 'every topic the instances write, keys and values'],
      [`${r.instances} instance(s): restore after SIGKILL`, `${Math.round(r.restoreMs)} ms`, `assignment to caught up; ${Math.round(r.killToCaughtUpMs)} ms from the kill (session timeout 6 s); fleet counts ${r.fleetDevices}/${plan.sites.length}`],
    ]),
    metrics,
    parameters: { mode: 'live', sites: plan.sites.length, instances: counts.join(','), intervalSec, warmupSec, measureSec },
  };
};

const bench: Benchmark = {
  name: 'assets',
  description: 'telemetry events/s through the asset actors with 1 and 2 instances, against the pure shards in-process',
  async run({ options, progress }) {
    const sites = Number(options['sites'] ?? 2_000);
    const events = Number(options['events'] ?? 100_000);
    const counts = (options['instances'] ?? '1,2').split(',').map(Number).filter((n) => n > 0);
    PORT_BASE = Number(options['portBase'] ?? 22000);
    const plan = planFleet({ seed: 1, sites });
    if ((options['mode'] ?? 'backlog') === 'live') return live(plan, counts, options, progress);
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
