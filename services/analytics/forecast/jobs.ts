/**
 * The three BullMQ processors of a forecast run (the effects; the decisions are in plan-run.ts,
 * chunk-compute.ts and bundles.ts):
 *
 * - run (queue `runs`, started by a job scheduler or by hand): maps its schedule slot to an issue
 *   time, reads ClickHouse into a snapshot (or finds the snapshot an earlier attempt wrote), and
 *   adds a flow: a `finalize` parent with one `chunk` child per chunk. Ids are (kind, issued-at)
 *   and (kind, issued-at, chunk), so a retried or duplicated run adds nothing twice. A ClickHouse
 *   failure throws, and BullMQ retries with exponential backoff.
 * - chunk (queue `chunks`): computes its bundles (or area forecasts) from the snapshot and
 *   publishes them (or inserts them); retried on Kafka or ClickHouse errors. A chunk whose snapshot
 *   does not decode is poison: UnrecoverableError, no retries, reported on the run.
 * - finalize (queue `finalize`): runs once every chunk completed or failed for good, and records
 *   the outcome (Redis and ClickHouse forecast_runs).
 */
import { UnrecoverableError, type FlowProducer, type Job, type Queue } from 'bullmq';
import { describeError } from '../../platform/errors.ts';
import type { ForecastBundle } from '../../platform/events.ts';
import type { Logger } from '../../platform/logger.ts';
import { computeAreaChunk, computeSiteChunk } from './chunk-compute.ts';
import type { FeatureReader } from './clickhouse-features.ts';
import type { ForecastConfig } from './forecast-config.ts';
import type { ForecastSink } from './forecast-sink.ts';
import type { ForecastMetrics } from './metrics.ts';
import { planRun, runWindow } from './plan-run.ts';
import { chunkIdOf, isRunKind, issuedAtForSlot, runIdOf, type RunKind } from './run-kinds.ts';
import { RunStates, type RunStore } from './run-store.ts';

export const QueueNames = { runs: 'runs', chunks: 'chunks', finalize: 'finalize' } as const;

export interface RunJobData { readonly kind: string; readonly issuedAtMs?: number }
export interface ChunkJobData { readonly runId: string; readonly kind: RunKind; readonly issuedAtMs: number; readonly chunk: number }
export interface FinalizeJobData { readonly runId: string; readonly kind: RunKind; readonly issuedAtMs: number }

export interface JobDeps {
  readonly cfg: ForecastConfig;
  readonly sim: { speed: number; simStartMs: number; realStartMs: number } | null;
  readonly store: RunStore;
  readonly reader: FeatureReader;
  readonly sink: ForecastSink;
  /** Publishes bundles to fleet.forecasts.v1; resolves with the bytes sent. */
  readonly publish: (bundles: readonly ForecastBundle[]) => Promise<number>;
  readonly flow: FlowProducer;
  readonly finalizeQueue: Queue;
  readonly realNow: () => number;
  readonly metrics: ForecastMetrics;
  readonly logger: Logger;
}

const retry = (cfg: ForecastConfig, attempts: number) => ({ attempts, backoff: { type: 'exponential' as const, delay: cfg.backoffMs } });

/** The issue time of a run job: given by hand, or its schedule slot's simulated time floored to the kind's interval. */
export const issuedAtOf = (job: Job<RunJobData>, kind: RunKind, deps: Pick<JobDeps, 'cfg' | 'sim'>): number =>
  job.data.issuedAtMs ?? issuedAtForSlot(job.opts.prevMillis ?? job.timestamp, deps.cfg.everyMin[kind], deps.sim);

export const processRun = (deps: JobDeps) => async (job: Job<RunJobData>): Promise<{ runId: string; chunks: number }> => {
  const kind = job.data.kind;
  if (!isRunKind(kind)) throw new UnrecoverableError(`unknown forecast kind ${kind}`);
  const issuedAtMs = issuedAtOf(job, kind, deps);
  const runId = runIdOf(kind, issuedAtMs);
  await deps.store.startRun(runId, kind, issuedAtMs, deps.realNow());
  let meta = await deps.store.readMeta(runId);
  if (meta === null) {
    const t0 = deps.realNow();
    const snap = await planRun(kind, issuedAtMs, deps.reader, deps.cfg);
    await deps.store.writeSnapshot(snap.meta, snap.shared, snap.chunks);
    meta = snap.meta;
    deps.metrics.readSeconds.observe({ kind }, (deps.realNow() - t0) / 1000);
  }
  if ((await deps.finalizeQueue.getJob(runId)) === undefined) {
    const chunks = Array.from({ length: meta.chunks }, (_, chunk) => ({
      name: 'chunk', queueName: QueueNames.chunks, data: { runId, kind, issuedAtMs, chunk } satisfies ChunkJobData,
      opts: { jobId: chunkIdOf(runId, chunk), ...retry(deps.cfg, deps.cfg.chunkAttempts), ignoreDependencyOnFailure: true, removeOnComplete: 1000, removeOnFail: 5000 },
    }));
    await deps.flow.add({
      name: 'finalize', queueName: QueueNames.finalize, data: { runId, kind, issuedAtMs } satisfies FinalizeJobData,
      opts: { jobId: runId, ...retry(deps.cfg, deps.cfg.runAttempts), removeOnComplete: 1000, removeOnFail: 5000 }, children: chunks,
    });
  }
  await deps.store.setFannedOut(runId, meta.chunks, meta.items, deps.realNow(), meta.inputs ?? '');
  deps.logger.info('forecast run fanned out', { runId, chunks: meta.chunks, items: meta.items });
  return { runId, chunks: meta.chunks };
};

export const processChunk = (deps: JobDeps) => async (job: Job<ChunkJobData>): Promise<{ items: number; bytes: number }> => {
  const { runId, kind, issuedAtMs, chunk } = job.data;
  if (deps.cfg.chunkDelayMs > 0) await new Promise((r) => setTimeout(r, deps.cfg.chunkDelayMs));
  const [meta, bytes] = await Promise.all([deps.store.readMeta(runId), deps.store.readChunk(runId, chunk)]);
  if (meta === null || bytes === null) throw new UnrecoverableError(`poison chunk ${chunkIdOf(runId, chunk)}: its snapshot is gone (expired or lost)`);
  let sent = 0;
  let items: number;
  let fallbacks = 0;
  if (kind === 'sites') {
    const shared = await deps.store.readShared(runId);
    if (shared === null) throw new UnrecoverableError(`poison chunk ${chunkIdOf(runId, chunk)}: the run's shared snapshot is gone`);
    let built;
    try {
      built = computeSiteChunk(bytes, shared);
    } catch (e) {
      throw new UnrecoverableError(`poison chunk ${chunkIdOf(runId, chunk)}: ${describeError(e)}`);
    }
    sent = await deps.publish(built.map((b) => b.bundle));
    items = built.length;
    fallbacks = built.reduce((a, b) => a + (b.fallbacks > 0 ? 1 : 0), 0);
  } else {
    const w = runWindow(issuedAtMs, deps.cfg.historyDays);
    let areas;
    try {
      areas = computeAreaChunk(kind, bytes.toString('utf8'), w);
    } catch (e) {
      throw new UnrecoverableError(`poison chunk ${chunkIdOf(runId, chunk)}: ${describeError(e)}`);
    }
    await deps.sink.insertAreas(areas, runId, chunk, issuedAtMs, w.validFromMs);
    items = areas.length;
  }
  await deps.store.markChunkDone(runId, chunk, items, fallbacks);
  deps.metrics.items.inc({ kind }, items);
  deps.metrics.bytes.inc({ kind }, sent);
  return { items, bytes: sent };
};

export const processFinalize = (deps: JobDeps) => async (job: Job<FinalizeJobData>): Promise<{ outcome: string }> => {
  const { runId, kind, issuedAtMs } = job.data;
  const failures = Object.keys(await job.getIgnoredChildrenFailures()).length;
  const before = await deps.store.getRun(runId);
  const outcome = failures > 0 || (before?.chunksFailed ?? 0) > 0 ? RunStates.partial : RunStates.completed;
  if (before?.finishedAtMs === 0 || before === null) await deps.store.finish(runId, outcome, deps.realNow());
  const run = await deps.store.getRun(runId);
  if (run !== null) await deps.sink.insertRun(run, outcome);
  deps.metrics.runs.inc({ kind, outcome });
  deps.metrics.lastIssuedAt.set({ kind }, issuedAtMs / 1000);
  deps.logger.info('forecast run finished', { runId, outcome, chunksDone: run?.chunksDone, chunksFailed: run?.chunksFailed, itemsDone: run?.itemsDone });
  return { outcome };
};

/** A run job that failed for good: the run is recorded as failed (ClickHouse too, when it answers). */
export const onRunFailedForGood = async (deps: JobDeps, job: Job<RunJobData>, error: Error): Promise<void> => {
  const kind = job.data.kind;
  if (!isRunKind(kind)) return;
  const runId = runIdOf(kind, issuedAtOf(job, kind, deps));
  await deps.store.finish(runId, RunStates.failed, deps.realNow(), error.message);
  deps.metrics.runs.inc({ kind, outcome: RunStates.failed });
  const run = await deps.store.getRun(runId);
  if (run !== null) await deps.sink.insertRun(run, RunStates.failed).catch((e: unknown) => deps.logger.warn('could not record the failed run in ClickHouse', { runId, error: describeError(e) }));
};
