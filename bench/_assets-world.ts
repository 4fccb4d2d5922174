/**
 * Shared parts of the assets benches: a fresh topic prefix with the fleet's registry, assets
 * processes started as main.ts runs in production, and sums over their /metrics.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { AvroCodec } from '../services/platform/avro-codec.ts';
import type { KafkaAdapter } from '../services/platform/kafka.ts';
import { topicCatalog, TopicNames } from '../services/platform/topics.ts';
import { REPO_ROOT } from '../services/embedded/stack/layout.ts';
import { fleetAssetDefinitions, type FleetPlan } from '../services/edge/simulator/provision-plan.ts';
import type { BenchStack } from './_harness.ts';

const USED = [TopicNames.telemetry, TopicNames.assetRegistry, TopicNames.assetState, TopicNames.assetRollup, TopicNames.deadLetters] as const;

/** Creates the prefixed topics and writes the fleet's registry records. */
export const prepareWorld = async (kafka: KafkaAdapter, codec: AvroCodec, prefix: string, plan: FleetPlan): Promise<void> => {
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
  const producer = await kafka.producer();
  try {
    const defs = fleetAssetDefinitions(plan, Date.now());
    for (let i = 0; i < defs.length; i += 5_000) {
      const chunk = defs.slice(i, i + 5_000);
      const values = await Promise.all(chunk.map((d) => codec.encode(TopicNames.assetRegistry, d)));
      await producer.send(prefix + TopicNames.assetRegistry, chunk.map((d, k) => ({ key: d.assetId, value: values[k] ?? null })));
    }
  } finally {
    await producer.disconnect();
  }
};

export interface AssetsInstance {
  readonly url: string;
  readonly child: ChildProcess;
}

export const spawnAssets = (bench: BenchStack, prefix: string, name: string, port: number, extraEnv: Record<string, string> = {}): AssetsInstance => ({
  url: `http://127.0.0.1:${port}`,
  // BENCH_ASSETS_NODE_FLAGS: extra node flags for the instances, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" (not allowed in NODE_OPTIONS).
  child: spawn(process.execPath, [...(process.env['BENCH_ASSETS_NODE_FLAGS'] ?? '').split(' ').filter((f) => f !== ''), '--import', 'tsx', join(REPO_ROOT, 'services/operational/assets/main.ts')], {
    cwd: REPO_ROOT,
    env: {
      ...process.env, ...bench.env, ASSETS_PORT: String(port), ASSETS_TOPIC_PREFIX: prefix, ASSETS_INSTANCE_ID: name, ASSETS_GROUP_ID: `${prefix}assets`,
      LOG_LEVEL: process.env['BENCH_ASSETS_LOG'] ?? 'error', ASSETS_STALE_AFTER_MS: String(7 * 24 * 3_600_000), ...extraEnv,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  }),
});

/** Sum over the instances of a metric's samples whose label text contains `labels` (unreachable instances count 0). */
export const metricSum = async (urls: readonly string[], name: string, labels = ''): Promise<number> => {
  let n = 0;
  for (const u of urls) {
    const text = await fetch(`${u}/metrics`).then((r) => r.text()).catch(() => '');
    for (const line of text.split('\n')) {
      if (!line.startsWith(name) || (line[name.length] !== ' ' && line[name.length] !== '{') || !line.includes(labels)) continue;
      n += Number(line.split(' ').at(-1));
    }
  }
  return n;
};

/** Applied telemetry events summed over the instances' /metrics (each frame is applied once; re-reads count as replays). */
export const appliedSum = (urls: readonly string[]): Promise<number> => metricSum(urls, 'gridfleet_assets_telemetry_events_total', 'result="applied"');

/** A histogram's cumulative bucket counts (le -> count) summed over the instances, for the samples whose labels contain `labels`. */
export const bucketSum = async (urls: readonly string[], name: string, labels: readonly string[] = []): Promise<Map<number, number>> => {
  const out = new Map<number, number>();
  for (const u of urls) {
    const text = await fetch(`${u}/metrics`).then((r) => r.text()).catch(() => '');
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}_bucket{`) || !labels.every((l) => line.includes(l))) continue;
      const le = /le="([^"]+)"/.exec(line)?.[1];
      if (le === undefined) continue;
      const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
      out.set(bound, (out.get(bound) ?? 0) + Number(line.split(' ').at(-1)));
    }
  }
  return out;
};

/** The q-quantile of the observations between two readings of bucketSum, as the upper bound of its bucket (seconds). */
export const bucketQuantile = (before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>, q: number): number => {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const diff = bounds.map((b) => (after.get(b) ?? 0) - (before.get(b) ?? 0));
  const total = diff.at(-1) ?? 0;
  if (total <= 0) return Number.NaN;
  const i = diff.findIndex((n) => n >= q * total);
  return bounds[i] ?? Number.NaN;
};
