/**
 * The engine runs each query on a thread of libuv's pool (chDB's async calls), and a streamed
 * insert's query sits on its thread reading the body's pipe until the body ends. With the default
 * pool of 4, four slow or stalled insert bodies held every thread and every other query (and
 * Node's own file and zlib work) waited behind them: the whole server hung.
 *
 * libuv sizes its pool when it is first used, before our code runs under tsx, so the size must be
 * in the environment the process starts with: whoever starts the server sets UV_THREADPOOL_SIZE
 * to ENGINE_THREADS (the stack, the tests, the bench, the container image). Streamed inserts may
 * then hold all but a few of the threads; insert-pipes.ts queues the rest.
 */
export const ENGINE_THREADS = 32;

/** The environment variable, and the value, to start the server with. */
export const ENGINE_THREAD_ENV: Readonly<Record<string, string>> = Object.freeze({ UV_THREADPOOL_SIZE: String(ENGINE_THREADS) });

/** How many streamed inserts may read their bodies at once, given the pool the process started with. */
export const maxStreamedInserts = (env: Readonly<Record<string, string | undefined>>): number => {
  const pool = Number(env['UV_THREADPOOL_SIZE'] ?? '4');
  const size = Number.isInteger(pool) && pool > 0 ? pool : 4;
  // Keep threads for queries and for Node's own work: half of a small pool, four of a large one.
  return Math.max(1, size - Math.min(4, Math.ceil(size / 2)));
};
