/**
 * `npm run forecast -- <command>`: the forecast tier.
 *
 *   start                     job schedulers + workers in this process (what the demo runs)
 *   worker                    workers only (start several for more throughput)
 *   scheduler                 upsert the job schedulers (one per kind) and exit
 *   run --kind K [--issued-at MS]   one run now, with workers in this process; prints its outcome
 *   status [--limit N]        the newest runs with their progress and outcome
 *   providers                 poll the outside providers of FORECAST_PROVIDERS into provider.forecasts.v1
 *   backtest --kind K --csv FILE [--time-col C] [--value-col C] [--lat X --lon Y]
 *            [--steps 48] [--stride 6] [--warmup-days 21] [--json]
 *
 * Platform variables (KAFKA_BROKERS, REGISTRY_URL, CLICKHOUSE_URL, REDIS_URL, SIM_*) and the
 * FORECAST_* variables of forecast-config.ts configure it.
 */
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../platform/config.ts';
import { clockFor } from '../../platform/clock.ts';
import { describeError, isPlatformError } from '../../platform/errors.ts';
import { failStartup, parseAll } from '../../platform/startup.ts';
import { createLogger } from '../../platform/logger.ts';
import { parseArgs } from './cli-args.ts';
import { parseCsvSeries } from './csv-series.ts';
import { parseForecastConfig } from './forecast-config.ts';
import { startForecastService } from './forecast-service.ts';
import { parseProviderConfig } from './providers/provider-config.ts';
import { startProviderService } from './providers/provider-service.ts';
import { backtest } from './models/backtest.ts';
import { baselinePeriod, isSeriesKind, needsLocation, seriesModel, SeriesKinds } from './models/series-models.ts';
import { isRunKind, RunKinds } from './run-kinds.ts';
import { RunStates, type RunRecord } from './run-store.ts';

const out = (s: string): void => void process.stdout.write(s + '\n');
const fail = (s: string): number => {
  process.stderr.write(s + '\n');
  return 2;
};

export const formatRun = (r: RunRecord): string =>
  `${r.runId.padEnd(28)} ${new Date(r.issuedAtMs).toISOString().slice(0, 16)}Z ${r.state.padEnd(10)} chunks ${r.chunksDone}/${r.chunks}${r.chunksFailed > 0 ? ` (${r.chunksFailed} failed)` : ''} items ${r.itemsDone}/${r.items}${r.fallbacks > 0 ? ` fallbacks ${r.fallbacks}` : ''}${r.error ? ` error: ${r.error}` : ''}`;

const backtestCommand = (flags: Map<string, string>): number => {
  const kind = flags.get('kind') ?? '';
  const csv = flags.get('csv');
  if (!isSeriesKind(kind)) return fail(`--kind must be one of ${Object.values(SeriesKinds).join(', ')}`);
  if (csv === undefined) return fail('--csv <file> is required: a timestamp column and a value column (plus latitude and longitude for solar and irradiance)');
  let text: string;
  try {
    text = readFileSync(csv, 'utf8');
  } catch (e) {
    return fail(`cannot read ${csv}: ${describeError(e)}`);
  }
  const num = (k: string): number | undefined => (flags.has(k) ? Number(flags.get(k)) : undefined);
  const lat = num('lat');
  const lon = num('lon');
  const parsed = parseCsvSeries(text, { ...(flags.has('time-col') ? { timeCol: flags.get('time-col') ?? '' } : {}), ...(flags.has('value-col') ? { valueCol: flags.get('value-col') ?? '' } : {}), ...(lat !== undefined ? { latitudeDeg: lat } : {}), ...(lon !== undefined ? { longitudeDeg: lon } : {}) });
  if (!parsed.ok) return fail(`${csv}: ${parsed.error}`);
  const p = parsed.value;
  if (needsLocation(kind) && p.location === null) return fail(`${kind} needs the place: add latitude and longitude columns or --lat and --lon`);
  const hours = p.series.values.length;
  const steps = num('steps') ?? 48;
  const warmupHours = Math.round((num('warmup-days') ?? Math.min(21, Math.floor(hours / 24 / 3))) * 24);
  const strideHours = num('stride') ?? 6;
  if (!(steps >= 1 && warmupHours >= 24 && strideHours >= 1) || hours < warmupHours + steps) return fail(`${csv}: ${hours} hours of data is too short for a ${warmupHours / 24}-day warm-up and ${steps} steps`);
  const r = backtest(p.series, seriesModel(kind, p.location), { steps, warmupHours, strideHours, period: baselinePeriod(kind) });
  out(`backtest ${kind} on ${csv}: column "${p.valueCol}" by "${p.timeCol}", ${p.rows} rows, ${hours} hours (${new Date(p.series.startMs).toISOString().slice(0, 13)}Z..), ${r.origins} origins every ${strideHours} h after ${warmupHours / 24} days, ${r.points} points`);
  if (p.skipped > 0) out(`  skipped ${p.skipped} unreadable rows, e.g. ${p.skippedExamples.join('; ')}`);
  const f = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : x.toPrecision(4)).padStart(12);
  out(`  ${'horizon h'.padEnd(10)}${'model'.padStart(12)}${'persistence'.padStart(12)}${'seas.naive'.padStart(12)}   (mean absolute error)`);
  for (let j = 0; j < steps; j++) {
    if (steps > 12 && ![0, 1, 2, 5, 11, 23, 35, 47].includes(j)) continue;
    out(`  ${String(j + 1).padEnd(10)}${f(r.maeByHorizon.model[j])}${f(r.maeByHorizon.persistence[j])}${f(r.maeByHorizon.seasonalNaive[j])}`);
  }
  out(`  ${'all'.padEnd(10)}${f(r.overall.model)}${f(r.overall.persistence)}${f(r.overall.seasonalNaive)}`);
  if (flags.get('json') === 'true') out(JSON.stringify({ kind, csv, rows: p.rows, skippedRows: p.skipped, hours, origins: r.origins, points: r.points, steps, maeByHorizon: r.maeByHorizon, overall: r.overall }));
  return 0;
};

const main = async (argv: readonly string[]): Promise<number> => {
  const { command, flags } = parseArgs(argv);
  if (command === 'backtest') return backtestCommand(flags);
  const [config, fcfg] = parseAll(() => parseConfig(process.env), () => parseForecastConfig(process.env));
  const logger = createLogger(config.logLevel, { service: 'forecast' });
  switch (command) {
    case 'start':
    case 'worker': {
      const svc = await startForecastService({ config, fcfg, logger, schedule: command === 'start', work: true });
      logger.info('forecast tier running', { schedules: command === 'start' ? fcfg.everyMin : 'none', metricsPort: svc.metricsPort, speed: config.sim?.speed ?? 1 });
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      await svc.stop();
      return 0;
    }
    case 'scheduler': {
      const svc = await startForecastService({ config, fcfg, logger, schedule: true, work: false });
      const s = await svc.runs.getJobSchedulers();
      out(`job schedulers: ${s.map((x) => `${x.key} every ${x.every ?? '?'} ms`).join(', ')}`);
      await svc.stop();
      return 0;
    }
    case 'run': {
      const kind = flags.get('kind') ?? '';
      if (!isRunKind(kind)) return fail(`--kind must be one of ${Object.values(RunKinds).join(', ')}`);
      const every = fcfg.everyMin[kind] * 60_000;
      const issuedAtMs = flags.has('issued-at') ? Number(flags.get('issued-at')) : Math.floor(clockFor(config.sim).now() / every) * every;
      if (!Number.isSafeInteger(issuedAtMs)) return fail('--issued-at must be epoch milliseconds');
      const svc = await startForecastService({ config, fcfg: { ...fcfg, metricsPort: -1 }, logger, schedule: false, work: true });
      try {
        const runId = await svc.runNow(kind, issuedAtMs);
        let last = '';
        for (;;) {
          const r = await svc.store.getRun(runId);
          const line = r === null ? `${runId}: waiting for a worker` : formatRun(r);
          if (line !== last) out((last = line));
          if (r !== null && ([RunStates.completed, RunStates.partial, RunStates.failed] as string[]).includes(r.state)) return r.state === RunStates.completed ? 0 : 1;
          await new Promise((res) => setTimeout(res, 500));
        }
      } finally {
        await svc.stop();
      }
    }
    case 'providers': {
      const pcfg = parseProviderConfig(process.env);
      if (pcfg.adapters.length === 0) return fail('no providers configured: set FORECAST_PROVIDERS (see docs/forecast.md)');
      const svc = await startProviderService({ config, pcfg, topicPrefix: fcfg.topicPrefix, logger });
      logger.info('provider pollers running', { sources: pcfg.adapters.map((a) => a.sourceId), everyMin: pcfg.everyMin });
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      await svc.stop();
      return 0;
    }
    case 'status': {
      const svc = await startForecastService({ config, fcfg, logger, schedule: false, work: false });
      const runs = await svc.store.listRuns(Number(flags.get('limit') ?? '20'));
      for (const r of runs) out(formatRun(r));
      if (runs.length === 0) out('no forecast runs yet');
      await svc.stop();
      return 0;
    }
    default:
      return fail('usage: npm run forecast -- start | worker | scheduler | run --kind <weather|emissions|sites> [--issued-at MS] | status [--limit N] | providers | backtest --kind <kind> --csv <file> [--json]');
  }
};

main(process.argv.slice(2)).then((code) => process.exit(code), (e: unknown) => {
  if (isPlatformError(e, 'CONFIG_INVALID')) failStartup('forecast')(e);
  process.stderr.write(`forecast: ${describeError(e)}\n`);
  process.exit(1);
});
