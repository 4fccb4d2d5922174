/**
 * The live mode of the assets bench: telemetry at a steady live rate (one frame per device every
 * `intervalSec`, a tenth of the devices each second at 10 s), through n assets instances, measuring
 * - events applied per second, per instance and in all;
 * - rollupLag: from a frame's Kafka time to the fleet aggregate that first includes it, as a
 *   reader of asset.state.v1 sees it (each parent view batch carrying the fleet says how old the
 *   oldest input it first reflects is: an upper bound of every frame's lag in that batch);
 * - stateBytesPerEvent: bytes the instances wrote to Kafka (keys and values, every topic) per
 *   frame applied, over the measured window;
 * - restoreMs: one instance is SIGKILLed (with one instance, a fresh one is started in its place)
 *   and the shards' new owner reports how long its shards took from assignment to caught up
 *   (snapshot read, input replayed to the old owner's commit). Telemetry keeps flowing throughout.
 */
import { loadavg } from 'node:os';
import type { AvroCodec } from '../services/platform/avro-codec.ts';
import type { Telemetry } from '../services/platform/events.ts';
import type { KafkaAdapter } from '../services/platform/kafka.ts';
import { SITE_PARTITIONS, TopicNames } from '../services/platform/topics.ts';
import { waitUntil } from '../services/embedded/stack/processes.ts';
import type { FleetPlan } from '../services/edge/simulator/provision-plan.ts';
import { appliedSum, bucketQuantile, bucketSum, metricSum, prepareWorld, spawnAssets, type AssetsInstance } from './_assets-world.ts';
import { stopAll, type BenchStack } from './_harness.ts';

export interface LiveResult {
  readonly instances: number;
  readonly offeredPerSec: number;
  readonly appliedPerSec: number;
  readonly appliedPerSecPerInstance: number;
  readonly lagP50Ms: number;
  readonly lagP99Ms: number;
  readonly lagSamples: number;
  readonly stateBytesPerEvent: number;
  readonly restoreMs: number;
  readonly killToCaughtUpMs: number;
  readonly fleetDevices: number;
  /** The machine's 1-minute load average at the end of the measured window (2 cores: above 2, something waits for a core). */
  readonly loadAvg: number;
  /** Per stage of the path (STAGES), p50 and p99 in ms of the instances' histograms over the measured window (bucket upper bounds). */
  readonly stages: ReadonlyArray<{ key: string; stage: string; p50Ms: number; p99Ms: number }>;
}

/** The stages of a frame's way to the fleet, as the instances' histograms see them (each from the frame's Kafka time, but parent input). */
const STAGES: ReadonlyArray<{ key: string; stage: string; name: string; labels: string[] }> = [
  { key: 'SiteApplied', stage: 'telemetry applied (fetch wait)', name: 'gridfleet_assets_input_age_seconds', labels: ['kind="site"'] },
  { key: 'SiteTaken', stage: 'site flush taken', name: 'gridfleet_assets_flush_age_seconds', labels: ['kind="site"', 'stage="taken"'] },
  { key: 'SiteAcked', stage: 'site flush acked (partials written)', name: 'gridfleet_assets_flush_age_seconds', labels: ['kind="site"', 'stage="acked"'] },
  { key: 'PartialsApplied', stage: 'partials applied (their own age)', name: 'gridfleet_assets_input_age_seconds', labels: ['kind="parent"'] },
  { key: 'ParentTaken', stage: 'parent flush taken', name: 'gridfleet_assets_flush_age_seconds', labels: ['kind="parent"', 'stage="taken"'] },
  { key: 'ParentAcked', stage: 'parent flush acked (view written)', name: 'gridfleet_assets_flush_age_seconds', labels: ['kind="parent"', 'stage="acked"'] },
];

const quantile = (xs: readonly number[], q: number): number => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
};

const frameOf = (deviceId: string, siteId: string, i: number, round: number, nowMs: number): Telemetry => {
  const solar = ((round * 7 + i) % 50) / 10;
  const battery = (((round + i) % 9) - 4) / 2;
  return {
    deviceId, siteId, seq: round, measuredAtMs: nowMs, receivedAtMs: nowMs, socPct: (round * 13 + i) % 101, batteryKw: battery, solarKw: solar, loadKw: 1.5,
    gridKw: 1.5 - solar - battery, batteryTempC: 25, mode: 'SELF_CONSUMPTION', alarms: [], activeCommandId: null,
  };
};

/** Sends one frame per device per interval, in slices a second apart, until stopped. */
const liveTelemetry = (kafka: KafkaAdapter, codec: AvroCodec, topic: string, plan: FleetPlan, intervalSec: number) => {
  let running = true;
  let sent = 0;
  const devices = plan.sites.map((s) => ({ deviceId: s.deviceId, siteId: s.siteId }));
  // A slice a second: on a loaded machine one send takes tens of milliseconds, so finer slices fall behind.
  const slices = Math.max(1, intervalSec);
  const done = (async () => {
    const producer = await kafka.producer();
    try {
      for (let round = 1; running; round++) {
        const roundStart = Date.now();
        for (let k = 0; k < slices && running; k++) {
          const now = Date.now();
          const part = devices.filter((_, i) => i % slices === k);
          const values = await Promise.all(part.map((d, i) => codec.encode(TopicNames.telemetry, frameOf(d.deviceId, d.siteId, i, round, now))));
          await producer.send(topic, part.map((d, i) => ({ key: d.siteId, value: values[i] ?? null })));
          sent += part.length;
          const next = roundStart + ((k + 1) * intervalSec * 1_000) / slices;
          await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
        }
      }
    } finally {
      await producer.disconnect();
    }
  })();
  return { sent: () => sent, stop: async () => { running = false; await done; } };
};

/** Lag samples from the parent view batches that carry the fleet, as a reader sees them. */
const followFleet = async (kafka: KafkaAdapter, codec: AvroCodec, topic: string) => {
  const samples: Array<{ at: number; lagMs: number }> = [];
  let fleetDevices = 0;
  const c = await kafka.consumer({ groupId: `${topic}-bench-${Date.now()}`, topics: [topic], fromBeginning: false, autoCommit: false });
  void c.runBatches(async (batch, ctx) => {
    for (const r of batch.records) {
      if (r.key === null || r.value === null || !r.key.startsWith('view/parents/')) continue;
      const d = await codec.decode(TopicNames.assetState, r.value);
      const b = d.ok ? d.value.batch : null;
      const fleet = b?.parents.find((p) => p.assetId === 'fleet');
      if (b == null || fleet === undefined) continue;
      fleetDevices = fleet.aggregate.deviceCount;
      if (b.oldestInputAtMs !== null) samples.push({ at: Date.now(), lagMs: Date.now() - b.oldestInputAtMs });
    }
    const last = batch.records.at(-1);
    if (last !== undefined) ctx.resolveOffset(last.offset);
  }).catch(() => undefined);
  return { samples, fleetDevices: () => fleetDevices, stop: () => c.disconnect() };
};

export const runLive = async (
  bench: BenchStack, kafka: KafkaAdapter, codec: AvroCodec, plan: FleetPlan, opts: { instances: number; intervalSec: number; warmupSec: number; measureSec: number; portBase: number },
  progress: (s: string) => void,
): Promise<LiveResult> => {
  const n = opts.instances;
  const prefix = `live-${n}-${Date.now().toString(36)}.`;
  progress(`live, ${n} instance(s): registry of ${plan.sites.length} sites...`);
  await prepareWorld(kafka, codec, prefix, plan);
  const env = { ASSETS_SESSION_TIMEOUT_MS: '6000' };
  const procs: AssetsInstance[] = Array.from({ length: n }, (_, i) => spawnAssets(bench, prefix, `live-${n}-${i}`, opts.portBase + i, env));
  const fleet = await followFleet(kafka, codec, prefix + TopicNames.assetState);
  let telemetry: ReturnType<typeof liveTelemetry> | undefined;
  try {
    const ready = await waitUntil(async () => (await Promise.all(procs.map((p) => fetch(`${p.url}/healthz`).then((r) => r.ok).catch(() => false)))).every(Boolean), 300_000, 500);
    if (!ready) throw new Error(`${n} assets instance(s) not ready in 5 minutes`);
    telemetry = liveTelemetry(kafka, codec, prefix + TopicNames.telemetry, plan, opts.intervalSec);
    progress(`live, ${n} instance(s): ${plan.sites.length / opts.intervalSec} frames/s, warming up ${opts.warmupSec} s...`);
    await new Promise((r) => setTimeout(r, opts.warmupSec * 1_000));
    const urls = procs.map((p) => p.url);
    const t0 = Date.now();
    const [applied0, bytes0, sent0] = [await appliedSum(urls), await metricSum(urls, 'gridfleet_assets_produced_bytes_total'), telemetry.sent()];
    const stages0 = await Promise.all(STAGES.map((s) => bucketSum(urls, s.name, s.labels)));
    progress(`live, ${n} instance(s): measuring ${opts.measureSec} s...`);
    await new Promise((r) => setTimeout(r, opts.measureSec * 1_000));
    const seconds = (Date.now() - t0) / 1000;
    const [applied1, bytes1, sent1] = [await appliedSum(urls), await metricSum(urls, 'gridfleet_assets_produced_bytes_total'), telemetry.sent()];
    const loadAvg = loadavg()[0] ?? Number.NaN;
    const stages1 = await Promise.all(STAGES.map((s) => bucketSum(urls, s.name, s.labels)));
    const stages = STAGES.map((s, i) => ({
      key: s.key, stage: s.stage, p50Ms: bucketQuantile(stages0[i] ?? new Map(), stages1[i] ?? new Map(), 0.5) * 1000, p99Ms: bucketQuantile(stages0[i] ?? new Map(), stages1[i] ?? new Map(), 0.99) * 1000,
    }));
    const lags = fleet.samples.filter((s) => s.at >= t0).map((s) => s.lagMs);
    const appliedPerSec = (applied1 - applied0) / seconds;

    // SIGKILL the last instance; with one, a fresh instance takes its place (the group waits out the dead member's session).
    const victim = procs[n - 1];
    if (victim === undefined) throw new Error('no instance');
    progress(`live, ${n} instance(s): SIGKILL ${n === 1 ? 'the instance, starting a fresh one' : 'one instance'}...`);
    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    const heirs = n === 1 ? [spawnAssets(bench, prefix, `live-${n}-heir`, opts.portBase + 9, env)] : procs.slice(0, n - 1);
    if (n === 1) procs.push(...heirs);
    const heirUrls = heirs.map((p) => p.url);
    const restoresBefore = n === 1 ? 0 : await metricSum(heirUrls, 'gridfleet_assets_restore_seconds_count');
    const caughtUp = await waitUntil(async () => {
      const count = await metricSum(heirUrls, 'gridfleet_assets_restore_seconds_count');
      const pending = await metricSum(heirUrls, 'gridfleet_assets_restoring_shards');
      return count > restoresBefore && pending === 0 && (await metricSum(heirUrls, 'gridfleet_assets_shards_owned')) >= 2 * SITE_PARTITIONS;
    }, 180_000, 100);
    const killToCaughtUpMs = caughtUp ? Date.now() - killedAt : Number.NaN;
    const restoreMs = caughtUp ? 1000 * await metricSum(heirUrls, 'gridfleet_assets_last_restore_seconds') / heirUrls.length : Number.NaN;
    progress(`live, ${n} instance(s): restored in ${restoreMs} ms (${killToCaughtUpMs} ms after the kill)`);
    await telemetry.stop();
    telemetry = undefined;
    await waitUntil(() => Promise.resolve(fleet.fleetDevices() === plan.sites.length), 30_000, 250);
    return {
      instances: n, offeredPerSec: (sent1 - sent0) / seconds, appliedPerSec, appliedPerSecPerInstance: appliedPerSec / n,
      lagP50Ms: quantile(lags, 0.5), lagP99Ms: quantile(lags, 0.99), lagSamples: lags.length,
      stateBytesPerEvent: applied1 > applied0 ? (bytes1 - bytes0) / (applied1 - applied0) : Number.NaN,
      restoreMs, killToCaughtUpMs, fleetDevices: fleet.fleetDevices(), stages, loadAvg,
    };
  } finally {
    await telemetry?.stop();
    await fleet.stop();
    await stopAll(procs.map((p) => p.child));
  }
};
