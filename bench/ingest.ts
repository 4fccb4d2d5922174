/**
 * `npm run bench -- ingest [--events=300000] [--latencyEvents=20000] [--rate=5000] [--rows=10000000] [--portBase=26000] [--json]`
 *
 * Starts a stack of its own (a temp state folder) on ports packed above --portBase, as control
 * and isolation do: Kafka +92, its controller +93, registry +81, ClickHouse +23, Redis +79, so
 * 26023..26093 by default. Below the ephemeral range (32768-60999, where any outgoing connection
 * may take a port first) and clear of the other benches' defaults: backbone and gateway (base
 * 20000, each part at base + its usual port) 26379..29093, delivery 21000 -> 27379..30093, assets
 * 22000 -> 28379..31093, forecast 23000 -> 29379..32093, control and isolation in 24xxx and 25xxx,
 * the test stack 16379..19093.
 * Ingest's own /metrics takes a free port. Then:
 *  - throughput: pre-produces --events telemetry records (Avro, 24 partitions) and times
 *    services/analytics/ingest/main.ts (a child process, as in production) from start until ClickHouse has
 *    them all: eventsPerSec, sustained from Kafka to queryable rows;
 *  - latency: produces --latencyEvents at --rate/s with receivedAtMs = produce time while ingest
 *    runs; latency = inserted_at - received_at per row (produce to queryable), p50 and p99;
 *  - bytesPerEvent: telemetry's bytes on disk per row (compressed, after the bench's inserts);
 *  - analyst queries over --rows synthetic telemetry rows generated in ClickHouse with numbers():
 *    their latency as the analyst user, median of 3 runs each.
 * Baseline in the same run: ClickHouse's own INSERT ... SELECT rate into the same table shape, so
 * the ingest rate can be read as a share of what the engine alone does on this machine.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createAvroCodec, createRegistryClient } from '../services/platform/avro-codec.ts';
import { parseConfig } from '../services/platform/config.ts';
import type { Telemetry } from '../services/platform/events.ts';
import { createKafkaAdapter } from '../services/platform/kafka.ts';
import { createLogger } from '../services/platform/logger.ts';
import { TopicNames } from '../services/platform/topics.ts';
import { createStack } from '../services/embedded/stack/stack.ts';
import type { Benchmark } from './types.ts';
import { openTopicWriter } from '../services/platform/topic-writer.ts';

const frame = (i: number, nowMs: number): Telemetry => ({
  deviceId: `dev-${i % 20_000}`, siteId: `site-${i % 20_000}`, seq: Math.floor(i / 20_000), measuredAtMs: nowMs, receivedAtMs: nowMs,
  socPct: (i * 7) % 100, batteryKw: ((i % 11) - 5) * 0.7, solarKw: (i % 9) * 0.8, loadKw: 0.4 + (i % 5) * 0.3, gridKw: 0.2,
  batteryTempC: 21 + (i % 7), mode: 'SELF_CONSUMPTION', alarms: i % 97 === 0 ? ['HIGH_TEMP'] : [], activeCommandId: null,
});

const scalar = async (ch: ClickHouseClient, query: string): Promise<number> => {
  const rows = await (await ch.query({ query, format: 'JSONEachRow' })).json<Record<string, string | number>>();
  return Number(Object.values(rows[0] ?? {})[0] ?? 0);
};

const waitFor = async (check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> => {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
};

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

const bench: Benchmark = {
  name: 'ingest',
  description: 'telemetry.v1 -> ClickHouse through services/analytics/ingest: rate, produce-to-queryable latency, bytes per event, analyst queries',
  async run({ options, progress }) {
    const events = Number(options['events'] ?? 300_000);
    const latencyEvents = Number(options['latencyEvents'] ?? 20_000);
    const rate = Number(options['rate'] ?? 5_000);
    const bigRows = Number(options['rows'] ?? 10_000_000);
    const portBase = Number(options['portBase'] ?? 26_000);
    const root = mkdtempSync(join(tmpdir(), 'gridfleet-bench-ingest-'));
    const env: Record<string, string> = {
      GRIDFLEET_STATE_DIR: join(root, 'state'), GRIDFLEET_CACHE_DIR: '.state/cache',
      KAFKA_PORT: String(portBase + 92), KAFKA_CONTROLLER_PORT: String(portBase + 93), REGISTRY_PORT: String(portBase + 81),
      CLICKHOUSE_PORT: String(portBase + 23), REDIS_PORT: String(portBase + 79), LOG_LEVEL: 'warn',
    };
    const config = parseConfig(env);
    const logger = createLogger('warn', { service: 'bench' });
    const stack = createStack(config, logger);
    const ch = createClient({ url: config.clickhouseUrl, request_timeout: 300_000 });
    try {
      progress(`starting a stack of its own on ports ${portBase + 23}..${portBase + 93}...`);
      await stack.up();
      const kafka = createKafkaAdapter({ brokers: config.kafkaBrokers, clientId: 'bench-ingest', logger });
      const codec = createAvroCodec({ registry: createRegistryClient(config.registryUrl) });
      const writer = await openTopicWriter({ kafka, codec, lanes: 4 });
      const produce = async (from: number, to: number, nowMs: () => number): Promise<void> => {
        for (let s = from; s < to; s += 1_000) {
          const frames = Array.from({ length: Math.min(1_000, to - s) }, (_, k) => frame(s + k, nowMs()));
          await writer.publish(TopicNames.telemetry, frames.map((f) => ({ key: f.siteId, value: f })));
        }
      };
      progress(`producing ${events} telemetry records...`);
      await produce(0, events, () => Date.now());

      const count = (): Promise<number> => scalar(ch, 'SELECT count() FROM gridfleet.telemetry');
      progress('starting ingest...');
      const started = performance.now();
      const child = spawn(process.execPath, ['--import', 'tsx', 'services/analytics/ingest/main.ts'], {
        env: { PATH: process.env['PATH'] ?? '', ...env, INGEST_TOPICS: TopicNames.telemetry, INGEST_METRICS_PORT: '0' }, stdio: ['ignore', 'ignore', 'inherit'],
      });
      try {
        if (!(await waitFor(async () => (await count()) >= events, 600_000))) throw new Error('ingest did not catch up in 10 minutes');
        const seconds = (performance.now() - started) / 1000;
        const eventsPerSec = Math.round(events / seconds);
        progress(`${events} events in ${seconds.toFixed(1)} s (process start and group join included)`);

        progress(`latency: ${latencyEvents} events at ${rate}/s...`);
        const t0 = Date.now();
        for (let s = 0; s < latencyEvents; s += rate / 10) {
          await produce(events + s, events + Math.min(latencyEvents, s + rate / 10), () => Date.now());
          const due = t0 + ((s + rate / 10) / rate) * 1000;
          if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
        }
        await waitFor(async () => (await count()) >= events + latencyEvents, 120_000);
        const lat = await (await ch.query({
          query: `SELECT quantile(0.5)(d) AS p50, quantile(0.99)(d) AS p99 FROM (SELECT dateDiff('millisecond', received_at, inserted_at) AS d FROM gridfleet.telemetry WHERE seq >= ${Math.floor(events / 20_000)} AND received_at >= fromUnixTimestamp64Milli(${t0}))`,
          format: 'JSONEachRow',
        })).json<{ p50: number; p99: number }>();
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));

        await ch.command({ query: 'OPTIMIZE TABLE gridfleet.telemetry FINAL' });
        const bytes = await scalar(ch, "SELECT sum(bytes_on_disk) FROM system.parts WHERE database = 'gridfleet' AND table = 'telemetry' AND active");
        const bytesPerEvent = Math.round((bytes / (events + latencyEvents)) * 10) / 10;

        progress(`generating ${bigRows} telemetry rows in ClickHouse for the analyst queries...`);
        await ch.command({ query: 'CREATE TABLE IF NOT EXISTS gridfleet.bench_telemetry AS gridfleet.telemetry' });
        await ch.command({ query: 'TRUNCATE TABLE gridfleet.bench_telemetry' });
        const genStart = performance.now();
        await ch.command({ query: `INSERT INTO gridfleet.bench_telemetry (site_id, device_id, seq, measured_at, received_at, soc_pct, battery_kw, solar_kw, load_kw, grid_kw, battery_temp_c, mode, alarms, active_command_id, kafka_partition, kafka_offset)
          SELECT concat('site-', toString(number % 20000)), concat('dev-', toString(number % 20000)), intDiv(number, 20000),
            toDateTime64(now() - INTERVAL 7 DAY, 3, 'UTC') + toIntervalSecond(intDiv(number, 20000) * 30), toDateTime64(now() - INTERVAL 7 DAY, 3, 'UTC') + toIntervalSecond(intDiv(number, 20000) * 30),
            number % 100, ((number % 11) - 5) * 0.7, (number % 9) * 0.8, 0.4 + (number % 5) * 0.3, 0.2, 21 + (number % 7), 'SELF_CONSUMPTION', [], NULL, number % 24, number
          FROM numbers(${bigRows})`, clickhouse_settings: { max_insert_threads: '2' } });
        const engineRowsPerSec = Math.round(bigRows / ((performance.now() - genStart) / 1000));
        const analyst = createClient({ url: config.clickhouseUrl, username: 'analyst', password: 'analyst' });
        const queries: Record<string, string> = {
          fleetEnergyPerDay: 'SELECT toDate(measured_at) AS d, sum(greatest(battery_kw, 0)) / 120 AS discharge_kwh FROM gridfleet.bench_telemetry GROUP BY d ORDER BY d',
          oneSiteDay: "SELECT toStartOfHour(measured_at) AS h, avg(soc_pct), max(solar_kw) FROM gridfleet.bench_telemetry WHERE site_id = 'site-42' GROUP BY h ORDER BY h",
          topSitesBySolar: 'SELECT site_id, sum(solar_kw) AS s FROM gridfleet.bench_telemetry GROUP BY site_id ORDER BY s DESC LIMIT 10',
          socQuantiles: 'SELECT quantiles(0.1, 0.5, 0.9)(soc_pct) FROM gridfleet.bench_telemetry',
        };
        const queryMs: Record<string, number> = {};
        for (const [name, q] of Object.entries(queries)) {
          const runs: number[] = [];
          for (let i = 0; i < 3; i++) {
            const t = performance.now();
            await (await analyst.query({ query: q, format: 'JSONEachRow' })).json();
            runs.push(performance.now() - t);
          }
          queryMs[`query${name[0]?.toUpperCase()}${name.slice(1)}Ms`] = Math.round(median(runs));
        }
        await analyst.close();
        await ch.command({ query: 'DROP TABLE gridfleet.bench_telemetry' });

        const latencyP50Ms = Math.round(lat[0]?.p50 ?? 0);
        const latencyP99Ms = Math.round(lat[0]?.p99 ?? 0);
        await writer.close();
        return {
          rows: [
            ['ingest rate', `${eventsPerSec} events/s`, `${events} pre-produced events, Kafka -> queryable, process start included`],
            ['engine alone (INSERT SELECT numbers())', `${engineRowsPerSec} rows/s`, `ingest / engine = ${(eventsPerSec / engineRowsPerSec).toFixed(3)}`],
            ['latency p50 (produce -> queryable)', `${latencyP50Ms} ms`, `${latencyEvents} events at ${rate}/s`],
            ['latency p99', `${latencyP99Ms} ms`],
            ['bytes on disk per event', `${bytesPerEvent} B`, 'telemetry, after OPTIMIZE FINAL'],
            ...Object.entries(queryMs).map(([k, v]) => [`analyst ${k} (${bigRows} rows)`, `${v} ms`] as const),
          ],
          metrics: { eventsPerSec, latencyP50Ms, latencyP99Ms, bytesPerEvent, engineRowsPerSec, ingestToEngineRatio: Math.round((eventsPerSec / engineRowsPerSec) * 1000) / 1000, ...queryMs },
          parameters: { events, latencyEvents, rate, rows: bigRows },
        };
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    } finally {
      await ch.close();
      await stack.down();
      rmSync(root, { recursive: true, force: true });
    }
  },
};

export default bench;
