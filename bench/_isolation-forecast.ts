/**
 * The forecast tier's faults for the isolation harness, on the real forecast service
 * (services/analytics/forecast/cli.ts: BullMQ workers on Redis, runs reading ClickHouse and publishing a
 * bundle per site to fleet.forecasts.v1):
 *
 * - forecast-workers-killed: a sites run starts (its own process, with workers, as `npm run
 *   forecast -- run` does) next to a standing worker process; mid-run every worker is SIGKILLed,
 *   Redis (BullMQ's store) is stopped and started again, and the standing worker is restarted to
 *   finish the run from the jobs Redis kept;
 * - forecast-burst: a full sites run publishing a bundle for every site at once.
 *
 * Without services/analytics/forecast/cli.ts (a checkout before the forecast tier), the burst is published
 * the way a run's publish step does it (bench/_isolation-faults.ts) and Redis is restarted alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../services/embedded/stack/layout.ts';
import { waitUntil } from '../services/embedded/stack/processes.ts';
import { lowerPriority } from '../services/embedded/stack/stack.ts';
import type { ServiceHandle, System } from './_control-system.ts';
import { forecastBurstDirect, sleep, type Fault, type FaultContext } from './_isolation-faults.ts';

const CLI = 'services/analytics/forecast/cli.ts';
export const forecastServiceAvailable = (): boolean => existsSync(join(REPO_ROOT, CLI));

const forecastEnv = (sys: System): Record<string, string> => ({
  FORECAST_QUEUE_PREFIX: `gf-${sys.fleetId}`,
  // Several chunks even for a small fleet, so a kill lands mid-run.
  FORECAST_CHUNK_SITES: String(Math.max(25, Math.ceil(sys.plan.sites.length / 8))),
  FORECAST_BACKOFF_MS: '500',
});

const workers = new WeakMap<System, ServiceHandle>();
/** The standing forecast worker of the system (started on first use; the harness starts it with the system). */
export const forecastWorker = (sys: System, port: number): ServiceHandle => {
  let w = workers.get(sys);
  if (!w) {
    w = sys.service('forecast-worker', CLI, port, { ...forecastEnv(sys), FORECAST_METRICS_PORT: String(port) }, ['worker']);
    w.start();
    workers.set(sys, w);
  }
  return w;
};

const runLog = (ctx: FaultContext, issuedAtMs: number): string => join(ctx.sys.logDir, `forecast-run-${issuedAtMs}.log`);

/** One forecast run of the sites, in a process of its own (with its own workers). */
const startRun = (ctx: FaultContext, issuedAtMs: number): ChildProcess => {
  const log = openSync(runLog(ctx, issuedAtMs), 'a');
  const c = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, CLI), 'run', '--kind', 'sites', '--issued-at', String(issuedAtMs)], {
    cwd: REPO_ROOT, env: { ...process.env, ...ctx.sys.bench.env, ...forecastEnv(ctx.sys), FORECAST_METRICS_PORT: '-1' }, stdio: ['ignore', log, log],
  });
  if (c.pid !== undefined) lowerPriority(c.pid);
  return c;
};

const exited = (c: ChildProcess, timeoutMs: number): Promise<boolean> => waitUntil(() => Promise.resolve(c.exitCode !== null || c.signalCode !== null), timeoutMs, 200);

/** The run's progress from its log (`... chunks 3/8 ...`): the last line's done and total chunks. */
export const chunkProgress = (log: string): { done: number; total: number } | undefined => {
  const all = [...log.matchAll(/chunks (\d+)\/(\d+)/g)].at(-1);
  return all ? { done: Number(all[1]), total: Number(all[2]) } : undefined;
};

const progressOf = (logFile: string): { done: number; total: number } | undefined =>
  existsSync(logFile) ? chunkProgress(readFileSync(logFile, 'utf8')) : undefined;

/**
 * Waits until the run has finished some of its chunks but not all (mid-run), or exited, or the
 * time is up; returns the progress it last read.
 */
const midRun = async (c: ChildProcess, logFile: string, timeoutMs: number): Promise<{ done: number; total: number } | undefined> => {
  let progress: { done: number; total: number } | undefined;
  await waitUntil(() => {
    if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve(true);
    progress = progressOf(logFile);
    return Promise.resolve(progress !== undefined && progress.done > 0 && progress.done < progress.total);
  }, timeoutMs, 50);
  return progress;
};

const workersKilled = (port: number): Fault => ({
  name: 'forecast-workers-killed', analytics: true, what: 'a forecast run\'s workers SIGKILLed mid-run, Redis stopped and started again, workers restarted to finish the run',
  async run(ctx, phaseMs) {
    const t0 = Date.now();
    const worker = forecastWorker(ctx.sys, port);
    const run = startRun(ctx, t0);
    ctx.mark('sites run started');
    // Killed as soon as some chunks are done and others are not: a run over 10k sites takes
    // seconds, so a fixed delay would kill workers that had already finished.
    const progress = await midRun(run, runLog(ctx, t0), phaseMs / 4);
    run.kill('SIGKILL');
    await worker.kill('SIGKILL');
    const when = run.exitCode !== null ? `after the run process had exited ${run.exitCode}`
      : progress ? `mid-run at chunks ${progress.done}/${progress.total}` : 'before the run reported any progress';
    ctx.mark(`workers killed ${when}`);
    await ctx.sys.bench.stack.down(['redis']);
    ctx.mark('redis down');
    await sleep(phaseMs / 4);
    await ctx.sys.bench.stack.up(['redis']);
    ctx.mark('redis up');
    worker.start();
    ctx.mark('worker restarted');
    await sleep(phaseMs - (Date.now() - t0));
  },
});

const burst: Fault = {
  name: 'forecast-burst', analytics: true, what: 'a forecast run publishing a bundle for every site at once',
  async run(ctx, phaseMs) {
    const t0 = Date.now();
    const run = startRun(ctx, t0);
    ctx.mark('sites run started');
    // The phase lasts until the run has published (a short CI phase would end before a run's first chunk).
    if (await exited(run, Math.max(phaseMs, 120_000))) ctx.mark(`run finished (exit ${run.exitCode ?? run.signalCode ?? '?'}) in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    else {
      ctx.mark('run still going at the end of the phase: stopped');
      run.kill('SIGTERM');
      await exited(run, 10_000);
    }
    await sleep(phaseMs - (Date.now() - t0));
  },
};

/** Redis (BullMQ's store: analytics only) stopped and started again mid-phase; for checkouts without the forecast service. */
export const redisRestarted: Fault = {
  name: 'redis-restarted', analytics: true, what: 'Redis (the forecast queues\' store) stopped (SIGTERM) and started again',
  async run(ctx, phaseMs) {
    const t0 = Date.now();
    await sleep(phaseMs / 4);
    await ctx.sys.bench.stack.down(['redis']);
    ctx.mark('redis down');
    await sleep(phaseMs / 4);
    await ctx.sys.bench.stack.up(['redis']);
    ctx.mark('redis up');
    await sleep(phaseMs - (Date.now() - t0));
  },
};

/** The forecast faults; `workerPort` is the standing worker's metrics port. */
export const forecastFaults = (workerPort: number): Fault[] =>
  forecastServiceAvailable() ? [workersKilled(workerPort), burst] : [redisRestarted, forecastBurstDirect];
