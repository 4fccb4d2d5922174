/**
 * `npm run forecast -- <command>`: the forecast tier.
 *
 *   start                     job schedulers + workers in this process (what the demo runs)
 *   worker                    workers only (start several for more throughput)
 *   scheduler                 upsert the job schedulers (one per kind) and exit
 *   run --kind K [--issued-at MS]   one run now, with workers in this process; prints its outcome
 *   status [--limit N]        the newest runs with their progress and outcome
 *   providers                 poll the outside providers of FORECAST_PROVIDERS into provider.forecasts.v1
 *   backtest --kind K --csv FILE [--provider-csv F] [--lag-min N] [--buckets 0,6,12,24,48] ...
 *            (backtest-cli.ts lists every flag)
 *
 * Platform variables (KAFKA_BROKERS, REGISTRY_URL, CLICKHOUSE_URL, REDIS_URL, SIM_*) and the
 * FORECAST_* variables of forecast-config.ts configure it.
 */
import { helpRequested } from '../../platform/cli-help.ts';
import { parseConfig } from '../../platform/config.ts';
import { clockFor } from '../../platform/clock.ts';
import { describeError, isPlatformError } from '../../platform/errors.ts';
import { failStartup, parseAll } from '../../platform/startup.ts';
import { createLogger } from '../../platform/logger.ts';
import { backtestCommand } from './backtest-cli.ts';
import { parseArgs } from './cli-args.ts';
import { parseForecastConfig } from './forecast-config.ts';
import { startForecastService } from './forecast-service.ts';
import { parseProviderConfig } from './providers/provider-config.ts';
import { startProviderService } from './providers/provider-service.ts';
import { isRunKind, RunKinds } from './run-kinds.ts';
import { RunStates, type RunRecord } from './run-store.ts';

const out = (s: string): void => void process.stdout.write(s + '\n');
const fail = (s: string): number => {
  process.stderr.write(s + '\n');
  return 2;
};

export const formatRun = (r: RunRecord): string =>
  `${r.runId.padEnd(28)} ${new Date(r.issuedAtMs).toISOString().slice(0, 16)}Z ${r.state.padEnd(10)} chunks ${r.chunksDone}/${r.chunks}${r.chunksFailed > 0 ? ` (${r.chunksFailed} failed)` : ''} items ${r.itemsDone}/${r.items}${r.fallbacks > 0 ? ` fallbacks ${r.fallbacks}` : ''}${r.error ? ` error: ${r.error}` : ''}${r.inputs ? ` inputs ${r.inputs}` : ''}`;

const USAGE = 'usage: npm run forecast -- start | worker | scheduler | run --kind <weather|emissions|sites> [--issued-at MS] | status [--limit N] | providers | backtest --kind <kind> --csv <file> [--json]';

const main = async (argv: readonly string[]): Promise<number> => {
  const { command, flags } = parseArgs(argv);
  if (helpRequested(argv)) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command === 'backtest') return backtestCommand(flags, { out, err: (x) => void process.stderr.write(x + '\n') });
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
      return fail(USAGE);
  }
};

main(process.argv.slice(2)).then((code) => process.exit(code), (e: unknown) => {
  if (isPlatformError(e, 'CONFIG_INVALID')) failStartup('forecast')(e);
  process.stderr.write(`forecast: ${describeError(e)}\n`);
  process.exit(1);
});
