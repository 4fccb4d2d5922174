/**
 * A run's state in Redis (the jobs' own Redis, next to their queues): its snapshot, its progress
 * and its outcome. Progress counts each chunk once, however often it runs (a set of done chunks
 * guards the counters), so a retried or duplicated chunk never inflates it.
 *
 * Keys, under `<prefix>:fc:`:
 *   snap:<runId>:meta (JSON, written last: its presence means the snapshot is complete)
 *   snap:<runId>:shared, snap:<runId>:<chunk> (binary or JSON)        expire after snapshotTtlSec
 *   run:<runId> (hash: kind, issuedAtMs, state, chunks, items, chunksDone, itemsDone,
 *                chunksFailed, fallbacks, startedAtMs, finishedAtMs, error, inputs)  expire after 7 days
 *   run:<runId>:done, run:<runId>:failed (sets of chunk numbers)
 *   runs (sorted set of run ids by issue time)
 */
import type { Redis } from 'ioredis';
import type { RunKind } from './run-kinds.ts';

export const RunStates = { reading: 'reading', fannedOut: 'fanned-out', completed: 'completed', partial: 'partial', failed: 'failed' } as const;
export type RunState = (typeof RunStates)[keyof typeof RunStates];

export interface SnapshotMeta {
  readonly runId: string;
  readonly kind: RunKind;
  readonly issuedAtMs: number;
  readonly chunks: number;
  readonly items: number;
  /** Which inputs the run uses, JSON (run-inputs.ts); absent in snapshots written before it existed. */
  readonly inputs?: string;
}

export interface RunRecord {
  readonly runId: string;
  readonly kind: string;
  readonly issuedAtMs: number;
  readonly state: string;
  readonly chunks: number;
  readonly items: number;
  readonly chunksDone: number;
  readonly itemsDone: number;
  readonly chunksFailed: number;
  readonly fallbacks: number;
  readonly startedAtMs: number;
  /** When the snapshot was complete and the chunks were added (the read phase is startedAtMs..this). */
  readonly fannedOutAtMs: number;
  readonly finishedAtMs: number;
  readonly error: string;
  /** Which inputs the run used, JSON (run-inputs.ts); '' until the run has planned. */
  readonly inputs: string;
}

const RUN_TTL_SEC = 7 * 24 * 3600;

// Count a chunk once: add it to the done set, and only when it was not there bump the counters.
const MARK_DONE = `
if redis.call('SADD', KEYS[2], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'chunksDone', 1)
  redis.call('HINCRBY', KEYS[1], 'itemsDone', ARGV[2])
  redis.call('HINCRBY', KEYS[1], 'fallbacks', ARGV[3])
  return 1
end
return 0`;
const MARK_FAILED = `
if redis.call('SADD', KEYS[2], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'chunksFailed', 1)
  redis.call('HSET', KEYS[1], 'error', ARGV[2])
  return 1
end
return 0`;

export const createRunStore = (redis: Redis, prefix: string, snapshotTtlSec: number) => {
  const k = (s: string): string => `${prefix}:fc:${s}`;
  const n = (x: string | undefined): number => (x === undefined || x === '' ? 0 : Number(x));
  return {
    async readMeta(runId: string): Promise<SnapshotMeta | null> {
      const raw = await redis.get(k(`snap:${runId}:meta`));
      return raw === null ? null : (JSON.parse(raw) as SnapshotMeta);
    },
    /** Chunks first, the meta last: a snapshot is visible only once it is whole. */
    async writeSnapshot(meta: SnapshotMeta, shared: string | null, chunks: ReadonlyArray<Buffer | string>): Promise<void> {
      const m = redis.multi();
      chunks.forEach((c, i) => m.set(k(`snap:${meta.runId}:${i}`), c, 'EX', snapshotTtlSec));
      if (shared !== null) m.set(k(`snap:${meta.runId}:shared`), shared, 'EX', snapshotTtlSec);
      await m.exec();
      await redis.set(k(`snap:${meta.runId}:meta`), JSON.stringify(meta), 'EX', snapshotTtlSec);
    },
    readShared: (runId: string): Promise<string | null> => redis.get(k(`snap:${runId}:shared`)),
    readChunk: (runId: string, chunk: number): Promise<Buffer | null> => redis.getBuffer(k(`snap:${runId}:${chunk}`)),
    /** Test hook and operator tool: overwrite one chunk's snapshot. */
    writeChunk: async (runId: string, chunk: number, bytes: Buffer): Promise<void> => {
      await redis.set(k(`snap:${runId}:${chunk}`), bytes, 'EX', snapshotTtlSec);
    },

    async startRun(runId: string, kind: RunKind, issuedAtMs: number, nowMs: number): Promise<void> {
      const key = k(`run:${runId}`);
      await redis.multi()
        .hsetnx(key, 'startedAtMs', String(nowMs))
        .hset(key, 'kind', kind, 'issuedAtMs', String(issuedAtMs))
        .hsetnx(key, 'state', RunStates.reading)
        .expire(key, RUN_TTL_SEC)
        .zadd(k('runs'), issuedAtMs, runId)
        .exec();
    },
    async setFannedOut(runId: string, chunks: number, items: number, nowMs: number, inputs = ''): Promise<void> {
      await redis.hset(k(`run:${runId}`), 'chunks', String(chunks), 'items', String(items), 'inputs', inputs);
      await redis.hsetnx(k(`run:${runId}`), 'fannedOutAtMs', String(nowMs));
      // Only move forward: a late parent retry must not undo a finished run.
      await redis.eval(`if redis.call('HGET', KEYS[1], 'state') == '${RunStates.reading}' then redis.call('HSET', KEYS[1], 'state', '${RunStates.fannedOut}') end return 0`, 1, k(`run:${runId}`));
    },
    markChunkDone: async (runId: string, chunk: number, items: number, fallbacks: number): Promise<boolean> =>
      (await redis.eval(MARK_DONE, 2, k(`run:${runId}`), k(`run:${runId}:done`), String(chunk), String(items), String(fallbacks))) === 1,
    markChunkFailed: async (runId: string, chunk: number, reason: string): Promise<boolean> =>
      (await redis.eval(MARK_FAILED, 2, k(`run:${runId}`), k(`run:${runId}:failed`), String(chunk), `chunk ${chunk}: ${reason}`.slice(0, 500))) === 1,
    async finish(runId: string, state: RunState, nowMs: number, error?: string): Promise<void> {
      const key = k(`run:${runId}`);
      await redis.hset(key, 'state', state, 'finishedAtMs', String(nowMs), ...(error === undefined ? [] : ['error', error.slice(0, 500)]));
    },
    async getRun(runId: string): Promise<RunRecord | null> {
      const h = await redis.hgetall(k(`run:${runId}`));
      if (Object.keys(h).length === 0) return null;
      return {
        runId, kind: h['kind'] ?? '', issuedAtMs: n(h['issuedAtMs']), state: h['state'] ?? '', chunks: n(h['chunks']), items: n(h['items']),
        chunksDone: n(h['chunksDone']), itemsDone: n(h['itemsDone']), chunksFailed: n(h['chunksFailed']), fallbacks: n(h['fallbacks']),
        startedAtMs: n(h['startedAtMs']), fannedOutAtMs: n(h['fannedOutAtMs']), finishedAtMs: n(h['finishedAtMs']), error: h['error'] ?? '',
        inputs: h['inputs'] ?? '',
      };
    },
    async listRuns(limit: number): Promise<RunRecord[]> {
      const ids = await redis.zrevrange(k('runs'), 0, limit - 1);
      const runs = await Promise.all(ids.map((id) => this.getRun(id)));
      return runs.filter((r): r is RunRecord => r !== null);
    },
  };
};

export type RunStore = ReturnType<typeof createRunStore>;
