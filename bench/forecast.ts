/**
 * `npm run bench -- forecast [--sites=500000] [--chSites=1000] [--json]`: the forecast tier on a
 * stack of its own (port base 23000).
 *
 * 1. Full path at `chSites` sites: three days of simulated history in ClickHouse, then a weather,
 *    an emissions and a site run through BullMQ, reading ClickHouse and publishing to Kafka.
 *    Gives the feature-read time per site.
 * 2. Throughput at `sites` sites (500k): the snapshot of a site run is written to Redis (synthetic
 *    features of the same shape), then the run's chunks compute and publish every bundle to
 *    fleet.forecasts.v1 through the same workers. fullRunSec = measured chunk phase + the read
 *    time of step 1 scaled linearly to `sites` (ClickHouse cannot hold 500k sites of history on
 *    this machine in a bench's time; the scaling is stated, not hidden).
 * 3. Accuracy on the simulated fleet: rolling-origin backtests of every model against
 *    persistence and seasonal naive on six weeks of the simulator's physics (two seeds).
 */
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { buildBundle } from '../services/analytics/forecast/bundles.ts';
import { parseForecastConfig } from '../services/analytics/forecast/forecast-config.ts';
import { startForecastService, type ForecastService } from '../services/analytics/forecast/forecast-service.ts';
import { backtest, backtestWithProvider } from '../services/analytics/forecast/models/backtest.ts';
import { baselinePeriod, loadWithTemperatureModel, seriesModel, type SeriesKind } from '../services/analytics/forecast/models/series-models.ts';
import { chunkRanges, runIdOf } from '../services/analytics/forecast/run-kinds.ts';
import type { RunRecord } from '../services/analytics/forecast/run-store.ts';
import type { SiteFeatures } from '../services/analytics/forecast/site-features.ts';
import { encodeShared, encodeSites, type SiteRunShared } from '../services/analytics/forecast/snapshot-codec.ts';
import { createAvroCodec, createRegistryClient } from '../services/platform/avro-codec.ts';
import { createLogger } from '../services/platform/logger.ts';
import { seedHistory, START_MS } from '../test/integration/analytics/forecast/forecast-harness.ts';
import { simProviderIssues, simSeries, SIM_ARRAY, SIM_PLACE } from '../test/unit/analytics/forecast/sim-series.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../services/embedded/stack/layout.ts';
import { startBenchStack, stopAll } from './_harness.ts';
import type { Benchmark } from './types.ts';

const HOUR = 3_600_000;

const waitRun = async (svc: ForecastService, runId: string, timeoutMs: number): Promise<RunRecord> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await svc.store.getRun(runId);
    if (r !== null && ['completed', 'partial', 'failed'].includes(r.state)) return r;
    if (Date.now() > deadline) throw new Error(`run ${runId} did not finish in ${timeoutMs} ms: ${JSON.stringify(r)}`);
    await new Promise((res) => setTimeout(res, 200));
  }
};

/** Synthetic features shaped like a real fleet's: 64 cells, 4 regions, a plausible load profile. */
const syntheticSites = (n: number): SiteFeatures[] =>
  Array.from({ length: n }, (_, i) => ({
    siteId: `site-${String(i).padStart(7, '0')}`, latitudeDeg: 45 + (i % 97) / 10, longitudeDeg: 5 + (i % 89) / 10, solarKwp: 4 + (i % 7), solarFactor: 0.8 + (i % 5) / 50,
    tiltDeg: 15 + (i % 4) * 10, azimuthDeg: 120 + (i % 5) * 30, altitudeM: 50 + (i % 11) * 40,
    heatKwPerC: 0.05, coolKwPerC: 0.08, cell: i % 64, region: i % 4, recentHourMs: Date.UTC(2025, 5, 3, 5), recentKw: 0.8,
    howKw: Float32Array.from({ length: 168 }, (_x, h) => 0.4 + ((h % 24) >= 17 && (h % 24) < 22 ? 1.8 : 0) + (i % 3) / 10),
  }));

const accuracy = (): Record<string, { model: number; persistence: number; seasonalNaive: number }> => {
  const out: Record<string, { model: number; persistence: number; seasonalNaive: number }> = {};
  const kinds: SeriesKind[] = ['temperature', 'cloud', 'irradiance', 'carbon', 'solar', 'load'];
  const seeds = [3, 7];
  for (const kind of kinds) {
    const acc = { model: 0, persistence: 0, seasonalNaive: 0 };
    for (const seed of seeds) {
      const sim = simSeries(seed, Date.UTC(2025, 3, 1), 42);
      const model = kind === 'load' ? loadWithTemperatureModel(sim.temperature) : seriesModel(kind, kind === 'solar' ? { ...SIM_PLACE, orientation: SIM_ARRAY } : SIM_PLACE);
      const r = backtest(sim[kind], model, { steps: 48, warmupHours: 21 * 24, strideHours: 7, period: baselinePeriod(kind) });
      acc.model += (r.overall.model ?? NaN) / seeds.length;
      acc.persistence += (r.overall.persistence ?? NaN) / seeds.length;
      acc.seasonalNaive += (r.overall.seasonalNaive ?? NaN) / seeds.length;
    }
    out[kind] = acc;
  }
  return out;
};

/**
 * With and without the simulated provider, by horizon bucket, with actuals known an hour late:
 * the corrected forecast (`model`), the own history model alone (`own`, what a run without a
 * provider issues), the provider as issued and persistence; mean over two regions (seeds).
 */
const providerAccuracy = (): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const [name, kind] of [['emissions', 'carbon'], ['temperature', 'temperature']] as const) {
    for (const seed of [3, 7]) {
      const sim = simSeries(seed, Date.UTC(2025, 3, 1), 42);
      const r = backtestWithProvider(sim[kind], simProviderIssues(seed, kind, sim[kind]), seriesModel(kind, SIM_PLACE), { steps: 48, warmupHours: 21 * 24, strideHours: 7, period: 24, lagHours: 1 });
      for (const b of r.byBucket) for (const [who, v] of Object.entries(b.mae)) {
        if (who === 'seasonalNaive') continue;
        const key = `${name}${who === 'model' ? 'Corrected' : who[0]?.toUpperCase() + who.slice(1)}${b.fromH}to${b.toH}hMae`;
        out[key] = (out[key] ?? 0) + (v ?? NaN) / 2;
      }
    }
  }
  return out;
};

const bench: Benchmark = {
  name: 'forecast',
  description: 'forecast runs: sites forecast and published per second, a full run over 500k sites, bytes per bundle, accuracy against persistence and seasonal naive',
  async run(ctx) {
    const sites = Number(ctx.options['sites'] ?? 500_000);
    const chSites = Number(ctx.options['chSites'] ?? 1000);
    const chunkSites = Number(ctx.options['chunkSites'] ?? 5000);
    ctx.progress('accuracy backtests on the simulator...');
    const acc = accuracy();
    ctx.progress('accuracy with and without the simulated provider...');
    const provAcc = providerAccuracy();
    ctx.progress('starting a stack of its own on port base 23000...');
    const bs = await startBenchStack(23_000, ['kafka', 'registry', 'redis', 'clickhouse']);
    const logger = createLogger('warn', { service: 'bench-forecast' });
    const env = { ...bs.env, FORECAST_CHUNK_SITES: String(chunkSites), FORECAST_METRICS_PORT: '-1', FORECAST_QUEUE_PREFIX: 'bench-forecast', FORECAST_CHUNK_CONCURRENCY: ctx.options['concurrency'] ?? '2' };
    const fcfg = parseForecastConfig(env);
    const svc = await startForecastService({ config: bs.config, fcfg, logger, schedule: false, work: true });
    // More worker processes on the same queues (`npm run forecast -- worker`): chunks spread over them.
    const workers = Number(ctx.options['workers'] ?? 2);
    const procs: ChildProcess[] = Array.from({ length: Math.max(0, workers - 1) }, () =>
      spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'services/analytics/forecast/cli.ts'), 'worker'], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] }));
    const client = createClient({ url: bs.config.clickhouseUrl, log: { level: ClickHouseLogLevel.OFF }, request_timeout: 300_000 });
    try {
      ctx.progress(`seeding three days of history for ${chSites} sites into ClickHouse...`);
      await seedHistory(client, 'gridfleet', chSites);
      const issued = START_MS + 2 * 24 * HOUR + 12 * HOUR;
      const phase = async (kind: string, at: number): Promise<{ rec: RunRecord; sec: number }> => {
        const t0 = Date.now();
        const rec = await waitRun(svc, await svc.runNow(kind, at), 600_000);
        return { rec, sec: (Date.now() - t0) / 1000 };
      };
      const weather = await phase('weather', issued);
      const emissions = await phase('emissions', issued);
      const small = await phase('sites', issued);
      // Read time: from the run job's start to its fan-out is the ClickHouse queries and the snapshot.
      const readSec = Math.max(0.001, (small.rec.fannedOutAtMs - small.rec.startedAtMs) / 1000);
      ctx.progress(`full path at ${chSites} sites: weather ${weather.sec.toFixed(1)} s, emissions ${emissions.sec.toFixed(1)} s, sites ${small.sec.toFixed(1)} s (${small.rec.state}, ${small.rec.itemsDone} bundles)`);

      ctx.progress(`writing a ${sites}-site snapshot to Redis...`);
      const bigIssued = issued + HOUR;
      const runId = runIdOf('sites', bigIssued);
      const features = syntheticSites(sites);
      const ramp = (base: number, amp: number): number[] => Array.from({ length: 48 }, (_, j) => base + amp * Math.sin((j / 24) * 2 * Math.PI));
      const shared: SiteRunShared = {
        runId, issuedAtMs: bigIssued, validFromMs: bigIssued, cellIds: Array.from({ length: 64 }, (_, c) => `cell-${c}`), regionIds: ['r0', 'r1', 'r2', 'r3'],
        cells: Array.from({ length: 64 }, (_c, c) => ({ temperatureC: ramp(15, 5), clearness: ramp(0.7, 0.1), alerts: [], hdd: new Array<number>(168).fill(1), cdd: new Array<number>(168).fill(0), inline: false, latitudeDeg: 45 + (c % 8) * 1.2, longitudeDeg: 5 + Math.floor(c / 8) * 1.1 })),
        regions: Array.from({ length: 4 }, () => ({ carbonGPerKwh: ramp(350, 80), inline: false })),
      };
      const chunks = chunkRanges(features.length, chunkSites).map(([a, b]) => encodeSites(features.slice(a, b)));
      const snapshotBytes = chunks.reduce((a, c) => a + c.length, 0);
      await svc.store.writeSnapshot({ runId, kind: 'sites', issuedAtMs: bigIssued, chunks: chunks.length, items: sites }, encodeShared(shared), chunks);
      ctx.progress(`snapshot ${(snapshotBytes / 1e6).toFixed(0)} MB in ${chunks.length} chunks; computing and publishing ${sites} bundles...`);
      const big = await phase('sites', bigIssued);
      const readPerSiteSec = readSec / chSites;
      const sitesPerSec = sites / big.sec;
      // The ClickHouse reads were measured at chSites only: the full run counts them as measured
      // (a lower bound) and the linear scaling is reported next to it (an upper bound: most of the
      // read at a small fleet is per-query cost, not per-site).
      const fullRunSec = big.sec + readSec;
      const readSecLinear = readPerSiteSec * sites;
      const sample = buildBundle(features[0] ?? syntheticSites(1)[0] as SiteFeatures, shared).bundle;
      const codec = createAvroCodec({ registry: createRegistryClient(bs.config.registryUrl) });
      const bytesPerBundle = (await codec.encode('fleet.forecasts.v1', sample)).length;
      const r = (x: number, d = 1): number => Number(x.toFixed(d));
      const metrics = {
        sites, sitesPerSec: r(sitesPerSec, 0), chunkPhaseSec: r(big.sec), fullRunSec: r(fullRunSec), fullRunSecReadScaledLinear: r(big.sec + readSecLinear), bytesPerBundle,
        readSecAtChSites: r(readSec, 2), snapshotMb: r(snapshotBytes / 1e6, 0), runOutcome: big.rec.state,
        ...Object.fromEntries(Object.entries(acc).flatMap(([k, v]) => [[`${k}Mae`, r(v.model, 3)], [`${k}PersistenceMae`, r(v.persistence, 3)], [`${k}SeasonalNaiveMae`, r(v.seasonalNaive, 3)]])),
        ...Object.fromEntries(Object.entries(provAcc).map(([k, v]) => [k, r(v, 3)])),
      };
      return {
        rows: [
          ['sites forecast and published', `${r(sitesPerSec, 0)}/s`, `${sites} sites in ${r(big.sec)} s (chunks of ${chunkSites}, ${workers} worker processes, concurrency ${fcfg.chunkConcurrency} each)`],
          ['full run over all sites', `${r(fullRunSec)} s`, `chunks ${r(big.sec)} s + ClickHouse reads as measured at ${chSites} sites (${r(readSec, 2)} s); scaled linearly to ${sites} sites: ${r(big.sec + readSecLinear)} s`],
          ['bytes per bundle', String(bytesPerBundle), 'Avro with the 5-byte Confluent header, 4 series x 48 floats'],
          ['snapshot in Redis', `${r(snapshotBytes / 1e6, 0)} MB`, 'site features of the run, binary'],
          ...['emissions', 'temperature'].flatMap((k) => ['0to6', '6to12', '12to24', '24to48'].map((b) => [`MAE ${k} ${b.replace('to', '-')} h, 1 h delay`, (provAcc[`${k}Corrected${b}hMae`] ?? NaN).toFixed(3), `provider ${(provAcc[`${k}Provider${b}hMae`] ?? NaN).toFixed(3)}, own model without provider ${(provAcc[`${k}Own${b}hMae`] ?? NaN).toFixed(3)}, persistence ${(provAcc[`${k}Persistence${b}hMae`] ?? NaN).toFixed(3)}`] as const)),
          ...Object.entries(acc).map(([k, v]) => [`MAE ${k}`, v.model.toFixed(3), `persistence ${v.persistence.toFixed(3)}, seasonal naive ${v.seasonalNaive.toFixed(3)} (x${(Math.min(v.persistence, v.seasonalNaive) / v.model).toFixed(2)} better than the best baseline)`] as const),
        ],
        metrics,
        parameters: { sites, chSites, chunkSites, workers, concurrency: fcfg.chunkConcurrency },
      };
    } finally {
      await stopAll(procs);
      await svc.stop();
      await client.close();
      await bs.dispose();
    }
  },
};

export default bench;
