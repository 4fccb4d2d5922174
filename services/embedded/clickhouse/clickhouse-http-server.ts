/**
 * The HTTP shell: routes `/ping` and `/` the way ClickHouse does, owns the engine, the HTTP
 * sessions and the listening socket, and shuts down in order (stop accepting, let requests
 * finish, close sessions, close the engine so data is flushed).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { requestTarget } from '../../platform/request-target.ts';
import { PlatformError } from '../../platform/errors.ts';
import type { Logger } from '../../platform/logger.ts';
import { createAccessGuard, type AccessGuard } from './access-guard.ts';
import { openEngine } from './chdb-engine.ts';
import { createHttpSessions } from './http-sessions.ts';
import { insertPipes } from './insert-pipes.ts';
import { createQuerySlots } from './query-slots.ts';
import { createQuotas } from './quotas.ts';
import { handleQuery, type HandlerDeps } from './query-handler.ts';
import type { Users } from './users.ts';

export interface ServerOptions {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly users: Users;
  readonly maxInsertBytes: number;
  /** Streamed inserts reading their bodies at once (default: no limit); the rest wait (threadpool.ts). */
  readonly maxStreamedInserts?: number;
  readonly spoolDir: string;
  readonly log: Logger;
}

export interface RunningServer {
  readonly port: number;
  readonly version: string;
  stop(): Promise<void>;
}

const plain = (res: ServerResponse, status: number, text: string): void => {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=UTF-8', 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(text);
};

const listen = (server: Server, host: string, port: number): Promise<number> =>
  new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      reject(
        e.code === 'EADDRINUSE'
          ? new PlatformError('STACK_PORT_TAKEN', `ClickHouse HTTP port ${host}:${port} is already in use (set CLICKHOUSE_PORT to another port)`, { cause: e })
          : e,
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });

export const startClickhouseServer = async (opts: ServerOptions): Promise<RunningServer> => {
  await mkdir(opts.spoolDir, { recursive: true });
  const engine = openEngine(opts.dataDir);
  const probe = engine.connect();
  let version = 'unknown';
  let timezone = 'UTC';
  let guard: AccessGuard;
  try {
    const r = await probe.exec('SELECT version(), timezone()', 'TabSeparated');
    [version = version, timezone = timezone] = r.bytes.toString('utf8').trim().split('\t');
    guard = await createAccessGuard(probe);
  } finally {
    await probe.close();
  }
  const sessions = createHttpSessions(() => engine.connect());
  const deps: HandlerDeps = {
    engine, sessions, users: opts.users, version, timezone,
    maxInsertBytes: opts.maxInsertBytes, pipes: insertPipes(resolve(opts.spoolDir), opts.maxStreamedInserts), log: opts.log, guard, slots: createQuerySlots(), quotas: createQuotas(),
  };
  const inflight = new Set<Promise<void>>();
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = requestTarget(req.url);
    if (url === undefined) return plain(res, 400, 'The request target must be a path starting with /\n');
    const path = url.pathname;
    // /healthz is the project's one health path; /ping and /replicas_status are ClickHouse's.
    if (path === '/ping' || path === '/replicas_status' || path === '/healthz') return plain(res, 200, 'Ok.\n');
    if (path !== '/' && path !== '') return plain(res, 404, `There is no handle ${path}\n\nUse / or /ping for health checks.\n`);
    const hasQuery = url.searchParams.has('query');
    if ((req.method === 'GET' || req.method === 'HEAD') && !hasQuery) return plain(res, 200, 'Ok.\n');
    await handleQuery(req, res, url, deps);
  };
  const server = createServer((req, res) => {
    const p = route(req, res).catch((e: unknown) => {
      opts.log.error('request failed', { error: e instanceof Error ? e.message : String(e) });
      if (!res.headersSent) plain(res, 500, 'Internal error\n');
      else res.destroy();
    });
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  });
  // ClickHouse's keep_alive_timeout is 10 s; clients read it from the Keep-Alive header.
  server.keepAliveTimeout = 10_000;
  server.requestTimeout = 0;
  let port: number;
  try {
    port = await listen(server, opts.host, opts.port);
  } catch (e) {
    await engine.close();
    throw e;
  }
  opts.log.info('clickhouse http server listening', { host: opts.host, port, version, dataDir: opts.dataDir });
  let stopping: Promise<void> | undefined;
  return {
    port,
    version,
    stop: () =>
      (stopping ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const deadline = setTimeout(() => server.closeAllConnections(), 5_000);
        await Promise.allSettled([...inflight]);
        server.closeAllConnections();
        await closed;
        clearTimeout(deadline);
        await sessions.closeAll();
        await engine.close();
        opts.log.info('clickhouse http server stopped');
      })()),
  };
};
