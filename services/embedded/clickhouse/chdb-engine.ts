/**
 * The chDB adapter: the only module that touches the engine. It talks to chdb's native addon
 * directly (loaded through chdb's own loader) to own connection lifetimes and parameter binding
 * with plain string values, exactly as they arrive in `param_<name>` URL parameters.
 *
 * chDB binds one data directory per process; any number of connections to it may run in
 * parallel, each with its own settings and current database. Every operation runs on the libuv
 * pool, never on the event loop. A connection is only closed after its in-flight operations
 * settle: closing under a running operation aborts the engine for the whole process.
 * Parameter binding is not isolated between connections in this libchdb, so bound queries are
 * serialized through one process-wide chain (until a stream's first block arrives).
 *
 * Cancelling: libchdb has no interrupt in its C ABI, and StreamCancel frees the stream handle that
 * a running fetch reads unlocked, so it may only be called between fetches. A query still working
 * on its first block is cancelled the way ClickHouse itself does it: `KILL QUERY ... ASYNC` from
 * another connection, finding the query by a tag the caller put in its `log_comment` setting
 * (chDB ignores a caller's query id). The engine then fails the fetch with 394 QUERY_WAS_CANCELLED.
 */
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CANCEL_TAG_SETTING } from './settings-plan.ts';
import { sqlString } from './sql-inspect.ts';

interface NativeResult {
  readonly bytes: Uint8Array;
  readonly elapsed: number;
  readonly rowsRead: number;
  readonly bytesRead: number;
}
interface NativeChunk {
  readonly bytes: Uint8Array;
  readonly numRows: number;
  readonly done: boolean;
}
type Handle = { readonly __brand: 'chdb-handle' };
type Bound = Readonly<Record<string, string>>;

interface NativeAddon {
  CreateConnection(path: string, args?: readonly string[]): Handle;
  CloseConnection(conn: Handle): void;
  QueryAsyncConnection(conn: Handle, sql: string, format: string, bound?: Bound): Promise<NativeResult>;
  StreamQuery(conn: Handle, sql: string, format: string, bound?: Bound): Handle;
  StreamFetch(stream: Handle): Promise<NativeChunk>;
  StreamCancel(stream: Handle): void;
}

const loadAddon = (): NativeAddon => {
  const require = createRequire(import.meta.url);
  const chdbDir = dirname(require.resolve('chdb'));
  const loader = require(join(chdbDir, 'dist', 'loader.js')) as { loadNative(): NativeAddon };
  return loader.loadNative();
};

export interface ExecOutcome {
  readonly bytes: Buffer;
  readonly rowsRead: number;
  readonly bytesRead: number;
  readonly elapsedSec: number;
}

export interface EngineStream extends AsyncIterable<{ readonly bytes: Buffer; readonly rows: number }> {
  /** Stop the query between blocks and free its resources; safe to call at any time. */
  cancel(): void;
}

export interface StreamOptions {
  /**
   * Aborting cancels the query: between blocks by dropping the stream; while the engine still
   * works on the first block, by killing it from another connection when `tag` is given (the
   * promise of `stream` then rejects with 394). Without a tag the first block runs to its end.
   */
  readonly signal?: AbortSignal;
  /** The value the caller gave this connection's CANCEL_TAG_SETTING for this query; unique. */
  readonly tag?: string;
}

export interface EngineConnection {
  exec(sql: string, format: string, params?: Bound): Promise<ExecOutcome>;
  stream(sql: string, format: string, params?: Bound, opts?: StreamOptions): Promise<EngineStream>;
  /** Closes once in-flight operations have settled. */
  close(): Promise<void>;
}

export interface Engine {
  connect(): EngineConnection;
  /** Waits for every connection to close. */
  close(): Promise<void>;
}

const hasParams = (p: Bound | undefined): p is Bound => p !== undefined && Object.keys(p).length > 0;
const cancelledError = (): Error => new Error('Code: 394. DB::Exception: Query was cancelled. (QUERY_WAS_CANCELLED)');
/** Between KILL attempts while the query is not yet in the process list. */
const KILL_RETRY_MS = 100;

export const openEngine = (dataDir: string): Engine => {
  const addon = loadAddon();
  const path = resolve(dataDir);
  // Synchronous table loading so the server answers /ping only once every table is usable.
  const args = ['--async_load_databases=0', '--async_load_system_database=0'];
  const root = addon.CreateConnection(path, args);
  const open = new Set<Promise<void>>();
  let paramChain: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(start: () => Promise<T>): Promise<T> => {
    const p = paramChain.then(start);
    paramChain = p.catch(() => undefined);
    return p;
  };

  /**
   * On abort, kills the query tagged `tag` until `running` settles. The first KILL may come before
   * the query is in the process list, so it is repeated until one finds it.
   */
  const killOnAbort = (running: Promise<unknown>, opts: StreamOptions | undefined): (() => void) => {
    const { signal, tag } = opts ?? {};
    if (signal === undefined || tag === undefined) return () => undefined;
    let settled = false;
    const mark = (): void => {
      settled = true;
    };
    void running.then(mark, mark);
    const kill = async (): Promise<void> => {
      const killer = connect();
      try {
        while (!settled) {
          const r = await killer.exec(`KILL QUERY WHERE Settings['${CANCEL_TAG_SETTING}'] = ${sqlString(tag)} ASYNC`, 'TabSeparated');
          if (r.bytes.length > 0) return;
          await sleep(KILL_RETRY_MS);
        }
      } catch {
        /* best effort: the query then runs to its first block and is dropped there */
      } finally {
        await killer.close();
      }
    };
    const onAbort = (): void => void kill();
    signal.addEventListener('abort', onAbort, { once: true });
    return () => signal.removeEventListener('abort', onAbort);
  };

  const connect = (): EngineConnection => {
    const conn = addon.CreateConnection(path, args);
    const inflight = new Set<Promise<unknown>>();
    let closing: Promise<void> | undefined;
    const track = <T>(p: Promise<T>): Promise<T> => {
      inflight.add(p);
      const done = (): void => {
        inflight.delete(p);
      };
      p.then(done, done);
      return p;
    };
    const live = (): void => {
      if (closing) throw new Error('Code: 394. DB::Exception: The connection was closed. (QUERY_WAS_CANCELLED)');
    };

    const stream = async (sql: string, format: string, params?: Bound, opts?: StreamOptions): Promise<EngineStream> => {
      live();
      const signal = opts?.signal;
      const start = async (): Promise<{ handle: Handle; first: NativeChunk }> => {
        if (signal?.aborted === true) throw cancelledError();
        const handle = hasParams(params) ? addon.StreamQuery(conn, sql, format, params) : addon.StreamQuery(conn, sql, format);
        const fetch = track(addon.StreamFetch(handle));
        const disarm = killOnAbort(fetch, opts);
        try {
          return { handle, first: await fetch };
        } catch (e) {
          addon.StreamCancel(handle);
          throw e;
        } finally {
          disarm();
        }
      };
      const { handle, first } = hasParams(params) ? await exclusive(start) : await start();
      let cancelled = false;
      let fetching: Promise<NativeChunk> | undefined;
      let finished = first.done;
      const cancel = (): void => {
        if (cancelled) return;
        cancelled = true;
        // The fetch worker reads the handle unlocked: destroy it only after the fetch settles.
        const destroy = (): void => addon.StreamCancel(handle);
        if (fetching) void fetching.then(destroy, destroy);
        else destroy();
      };
      if (finished) cancel();
      if (signal !== undefined) {
        // Aborted while the first block was computed but the engine answered anyway: drop it.
        if (signal.aborted) {
          cancel();
          throw cancelledError();
        }
        signal.addEventListener('abort', cancel, { once: true });
      }
      return {
        cancel,
        async *[Symbol.asyncIterator]() {
          try {
            let chunk = first;
            for (;;) {
              if (chunk.bytes.length > 0) yield { bytes: Buffer.from(chunk.bytes.buffer, chunk.bytes.byteOffset, chunk.bytes.byteLength), rows: chunk.numRows };
              if (finished || cancelled) return;
              fetching = track(addon.StreamFetch(handle));
              try {
                chunk = await fetching;
              } finally {
                fetching = undefined;
              }
              if (chunk.done) {
                finished = true;
                if (chunk.bytes.length === 0) return;
              }
            }
          } finally {
            cancel();
          }
        },
      };
    };

    return {
      exec: async (sql, format, params) => {
        live();
        const run = (): Promise<NativeResult> =>
          track(hasParams(params) ? addon.QueryAsyncConnection(conn, sql, format, params) : addon.QueryAsyncConnection(conn, sql, format));
        const r = hasParams(params) ? await exclusive(run) : await run();
        return { bytes: Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength), rowsRead: r.rowsRead, bytesRead: r.bytesRead, elapsedSec: r.elapsed };
      },
      stream,
      close: () => {
        if (closing) return closing;
        closing = (async () => {
          while (inflight.size > 0) await Promise.allSettled([...inflight]);
          addon.CloseConnection(conn);
        })();
        open.add(closing);
        void closing.finally(() => open.delete(closing as Promise<void>));
        return closing;
      },
    };
  };

  return {
    connect,
    close: async () => {
      while (open.size > 0) await Promise.allSettled([...open]);
      addon.CloseConnection(root);
    },
  };
};
