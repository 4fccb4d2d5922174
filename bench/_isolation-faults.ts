/**
 * The faults of the isolation harness, each injected for real: parts of the stack stopped and
 * started again through services/embedded/stack (SIGTERM, then SIGKILL after a grace period), service
 * processes killed with signals, an analyst's heavy queries, a burst of forecast bundles. A fault
 * runs for the whole phase (inject, hold, restore) while the harness keeps measuring the control
 * path. `analytics: true` marks the faults the pass rule holds control to (no effect on it).
 *
 * New faults plug in by adding a `Fault` to the list `isolationFaults` returns (the forecast
 * service's faults come from bench/_isolation-forecast.ts).
 */
import type { AvroCodec } from '../services/platform/avro-codec.ts';
import type { TopicWriter } from '../services/platform/topic-writer.ts';
import { TopicNames } from '../services/platform/topics.ts';
import { waitUntil } from '../services/embedded/stack/processes.ts';
import type { System } from './_control-system.ts';
import { clickhouseQuery } from './_isolation-reconcile.ts';

export interface FaultContext {
  readonly sys: System;
  readonly codec: AvroCodec;
  readonly writer: () => Promise<TopicWriter>;
  readonly progress: (line: string) => void;
  /** Marks a moment of the phase (e.g. "broker down") for the harness's timeline and recovery figures. */
  readonly mark: (label: string) => void;
}

export interface Fault {
  readonly name: string;
  readonly analytics: boolean;
  readonly what: string;
  /** Injects the fault, holds it for the phase, and restores what it broke before returning. */
  run(ctx: FaultContext, phaseMs: number): Promise<void>;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

const healthy = async (url: string, timeoutMs: number): Promise<boolean> =>
  waitUntil(async () => (await fetch(url, { signal: AbortSignal.timeout(5_000) })).ok, timeoutMs, 500);

export const clickhouseStopped: Fault = {
  name: 'clickhouse-stopped', analytics: true, what: 'ClickHouse stopped (SIGTERM) for the phase, then started again',
  async run(ctx, phaseMs) {
    const t0 = Date.now();
    await ctx.sys.bench.stack.down(['clickhouse']);
    ctx.mark('clickhouse down');
    await sleep(phaseMs - (Date.now() - t0) - 10_000);
    await ctx.sys.bench.stack.up(['clickhouse']);
    ctx.mark('clickhouse up');
    await sleep(phaseMs - (Date.now() - t0));
  },
};

export const ingestKilled: Fault = {
  name: 'ingest-killed', analytics: true, what: 'ingest SIGKILLed, restarted half a phase later with the backlog to catch up',
  async run(ctx, phaseMs) {
    const ingest = ctx.sys.ingest;
    if (!ingest) throw new Error('the system runs without ingest');
    const t0 = Date.now();
    await ingest.kill('SIGKILL');
    ctx.mark('ingest killed');
    await sleep(phaseMs / 2 - (Date.now() - t0));
    ingest.start();
    ctx.mark('ingest restarted');
    await sleep(phaseMs - (Date.now() - t0));
  },
};

/** Queries an analyst might run over all history, at the analyst user's limits, two at a time. */
const HEAVY_QUERIES = [
  'SELECT device_id, count() AS frames, avg(soc_pct), quantileExact(0.99)(battery_kw), max(grid_kw) FROM telemetry GROUP BY device_id ORDER BY frames DESC LIMIT 20',
  'SELECT site_id, toStartOfMinute(measured_at) AS m, sum(solar_kw), sum(load_kw), uniqExact(seq) FROM telemetry GROUP BY site_id, m ORDER BY m DESC LIMIT 50',
  'SELECT count() FROM numbers(300000000) WHERE sipHash64(number) % 97 = 0',
  'SELECT h.region_id, count(), avg(t.soc_pct) FROM telemetry AS t INNER JOIN site_hierarchy AS h ON h.site_id = t.site_id GROUP BY h.region_id',
];

export const analystQueries: Fault = {
  name: 'analyst-queries', analytics: true, what: 'an analyst running heavy queries in a loop (two at a time) against ClickHouse',
  async run(ctx, phaseMs) {
    const end = Date.now() + phaseMs;
    let ran = 0;
    const failures: string[] = [];
    const loop = async (k: number): Promise<void> => {
      for (let i = k; Date.now() < end; i++) {
        try {
          // A query still running when the phase ends is abandoned (the analyst gives up).
          await clickhouseQuery(ctx.sys.bench.config.clickhouseUrl, 'analyst', 'analyst', HEAVY_QUERIES[i % HEAVY_QUERIES.length] ?? 'SELECT 1', AbortSignal.timeout(Math.max(1, end - Date.now())));
          ran++;
        } catch (e) {
          if (Date.now() < end) failures.push(e instanceof Error ? e.message.slice(0, 200) : String(e));
        }
      }
    };
    await Promise.all([loop(0), loop(1)]);
    ctx.mark(`${ran} heavy queries finished, ${failures.length} failed${failures[0] === undefined ? '' : ` (${failures[0]})`}`);
  },
};

/** One compact 48-hour bundle per site, as a forecast run publishes them (the shape bench/delivery.ts uses). */
export const publishBundles = async (ctx: FaultContext, runId: string): Promise<number> => {
  const writer = await ctx.writer();
  const issuedAtMs = Date.now();
  const sites = ctx.sys.plan.sites;
  for (let i = 0; i < sites.length; i += 2_000) {
    await writer.publish(TopicNames.fleetForecasts, sites.slice(i, i + 2_000).map((s) => ({
      key: s.siteId,
      value: {
        siteId: s.siteId, issuedAtMs, runId, validFromMs: issuedAtMs, stepMinutes: 60,
        solarKw: Array.from({ length: 48 }, (_, h) => Math.max(0, Math.sin((((h % 24) - 6) / 12) * Math.PI)) * s.solarKwp * 0.8),
        loadKw: Array.from({ length: 48 }, () => 0.8), carbonGPerKwh: Array.from({ length: 48 }, (_, h) => 200 + 50 * Math.cos(h / 4)),
        temperatureC: Array.from({ length: 48 }, () => 15), stormWatch: null, modelVersion: 'isolation-burst',
      },
    })));
  }
  return sites.length;
};

/**
 * A burst of bundles for every site at once, published straight to fleet.forecasts.v1 through the
 * platform's Kafka adapter (what a forecast run's publish step does), twice in the phase.
 */
export const forecastBurstDirect: Fault = {
  name: 'forecast-burst', analytics: true, what: 'a bundle for every site published at once to fleet.forecasts.v1, twice (through the platform Kafka adapter)',
  async run(ctx, phaseMs) {
    const t0 = Date.now();
    for (let k = 0; k < 2; k++) {
      const n = await publishBundles(ctx, `isolation-burst-${t0}-${k}`);
      ctx.mark(`${n} bundles published`);
      await sleep(phaseMs / 2 - (Date.now() - t0 - (k * phaseMs) / 2));
    }
    await sleep(phaseMs - (Date.now() - t0));
  },
};

export const assetsInstanceKilled: Fault = {
  name: 'assets-killed', analytics: false, what: 'one of two asset actor instances SIGKILLed (its shards move), restarted at two thirds of the phase',
  async run(ctx, phaseMs) {
    const victim = ctx.sys.assets[ctx.sys.assets.length - 1];
    if (!victim || ctx.sys.assets.length < 2) throw new Error('needs two assets instances');
    const t0 = Date.now();
    await victim.kill('SIGKILL');
    ctx.mark(`${victim.name} killed`);
    await sleep((phaseMs * 2) / 3 - (Date.now() - t0));
    victim.start();
    ctx.mark(`${victim.name} restarted`);
    if (!(await healthy(`${victim.url}/healthz`, Math.max(10_000, phaseMs - (Date.now() - t0))))) ctx.mark(`${victim.name} not healthy by the end of the phase`);
    await sleep(phaseMs - (Date.now() - t0));
  },
};

export const kafkaRestarted: Fault = {
  name: 'kafka-restarted', analytics: false, what: 'the Kafka broker stopped (SIGTERM) and started again',
  async run(ctx, phaseMs) {
    const t0 = Date.now();
    await ctx.sys.bench.stack.down(['kafka']);
    ctx.mark('broker down');
    await sleep(5_000);
    await ctx.sys.bench.stack.up(['kafka', 'registry']);
    ctx.mark('broker up');
    // The phase goes on for its length, and for at least a short phase (at most 30 s) with the
    // broker back: requests that hung while it was down finish in this phase, so the recovery
    // phase measures a system that has recovered.
    await sleep(Math.max(phaseMs - (Date.now() - t0), Math.min(phaseMs, 30_000)));
  },
};

/** The faults in the order the harness runs them; `extra` (e.g. the forecast service's) go after the analytics ones. */
export const isolationFaults = (extra: readonly Fault[] = []): Fault[] => [
  clickhouseStopped, ingestKilled, analystQueries, ...extra, assetsInstanceKilled, kafkaRestarted,
];
