/**
 * The registry's HTTP shell (node:http): reads bodies, routes, answers JSON. The state lives here
 * as one variable replaced by pure transitions; writes go through a single lane so each decision
 * sees every earlier write, and the state moves only after the store acknowledged the records.
 * After a failed append the log may or may not hold the record (a lost ack), so the next write
 * first rebuilds the state from the store instead of guessing.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeError } from '../../platform/errors.ts';
import { requestTarget } from '../../platform/request-target.ts';
import type { Logger } from '../../platform/logger.ts';
import { err, ok, type Result } from '../../platform/result.ts';
import { pathSegments, resolveRoute } from './http-routes.ts';
import { authenticate, forbidden, type RegistryUsers } from './registry-auth.ts';
import type { Decide } from './registry-commands.ts';
import { errorBody, registryErrors, type RegistryError } from './registry-errors.ts';
import { applyRecord, replay, type RegistryState } from './registry-state.ts';
import type { SchemaLogStore } from './schema-store.ts';

export interface RegistryServerOptions {
  readonly store: SchemaLogStore;
  /** 0 picks a free port; the real one is in the returned url. */
  readonly port: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  readonly logger: Logger;
  /** Largest request body accepted, default 4 MiB (Avro schemas are text, rarely above a few hundred KiB). */
  readonly maxBodyBytes?: number;
  /** Basic auth with read and write roles (registry-auth.ts); absent: open, as in development. */
  readonly users?: RegistryUsers;
}

export interface RegistryServer {
  readonly url: string;
  close(): Promise<void>;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const DEFAULT_MAX_BODY = 4 * 1024 * 1024;

const readBody = (req: IncomingMessage, limit: number): Promise<Result<unknown, RegistryError>> =>
  new Promise((resolve) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      req.resume();
      resolve(err(registryErrors.bodyTooLarge(limit)));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (r: Result<unknown, RegistryError>): void => {
      if (done) return;
      done = true;
      resolve(r);
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        finish(err(registryErrors.bodyTooLarge(limit)));
      } else if (!done) chunks.push(chunk);
    });
    req.on('error', (e) => finish(err(registryErrors.malformedBody(describeError(e)))));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return finish(ok(undefined));
      try {
        finish(ok(JSON.parse(text)));
      } catch (e) {
        finish(err(registryErrors.malformedBody(describeError(e))));
      }
    });
  });

const send = (req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void => {
  const accept = req.headers.accept ?? '';
  const type = accept.includes('application/json') && !accept.includes('schemaregistry') ? 'application/json' : CONTENT_TYPE;
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
};

const urlHost = (host: string): string => {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
};

/** A reader's write runs only when it would change nothing (re-registering a known schema). */
const readerOnly = (decide: Decide, user: string): Decide => (state) => {
  const d = decide(state);
  return d.ok && d.value.records.length > 0 ? err(forbidden(user)) : d;
};

/** Loads the store, rebuilds the state from its records, then serves the Confluent REST API. */
export const startRegistryServer = async (opts: RegistryServerOptions): Promise<RegistryServer> => {
  const { store, logger } = opts;
  const host = opts.host ?? '127.0.0.1';
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY;

  const rebuild = async (): Promise<RegistryState> => {
    const records = await store.load();
    const { state, problems } = replay(records);
    for (const problem of problems) logger.warn('skipped an unreadable _schemas record', { problem });
    logger.info('registry state rebuilt', { records: records.length, subjects: state.subjects.size, schemas: state.schemas.size });
    return state;
  };

  let state = await rebuild();
  let stale = false;
  let lane: Promise<unknown> = Promise.resolve();

  const exclusive = <T>(task: () => Promise<T>): Promise<T> => {
    const run = lane.then(task, task);
    lane = run.catch(() => undefined);
    return run;
  };

  const runWrite = (decide: Decide): Promise<Result<unknown, RegistryError>> =>
    exclusive(async () => {
      if (stale) {
        try {
          state = await rebuild();
          stale = false;
        } catch (e) {
          logger.error('registry store reload failed', { error: describeError(e) });
          return err(registryErrors.storeError(describeError(e)));
        }
      }
      const decision = decide(state);
      if (!decision.ok) return decision;
      for (const record of decision.value.records) {
        try {
          await opts.store.append(record);
        } catch (e) {
          stale = true;
          logger.error('registry store append failed', { error: describeError(e), key: record.key });
          return err(registryErrors.storeError(describeError(e)));
        }
        state = applyRecord(state, record).state;
      }
      return ok(decision.value.body);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = requestTarget(req.url);
    const segments = url === undefined ? undefined : pathSegments(url.pathname);
    if (url === undefined || segments === undefined) {
      req.resume();
      return send(req, res, 404, errorBody(registryErrors.notFound()));
    }
    const login = opts.users === undefined ? ok({ user: '', role: 'write' as const }) : authenticate(opts.users, req.headers.authorization);
    if (!login.ok) {
      req.resume();
      res.setHeader('www-authenticate', 'Basic realm="gridfleet schema registry"');
      return send(req, res, login.error.status, errorBody(login.error));
    }
    const resolution = resolveRoute(req.method ?? 'GET', segments);
    if (resolution.kind === 'error') {
      req.resume();
      return send(req, res, resolution.error.status, errorBody(resolution.error));
    }
    let body: unknown = undefined;
    if (req.method === 'POST' || req.method === 'PUT') {
      const read = await readBody(req, maxBody);
      if (!read.ok) {
        res.setHeader('connection', 'close');
        return send(req, res, read.error.status, errorBody(read.error));
      }
      body = read.value;
    } else {
      req.resume();
    }
    const outcome = resolution.handle({ params: resolution.params, query: url.searchParams, body, state });
    const reply = outcome.kind === 'read'
      ? outcome.reply
      : await runWrite(login.value.role === 'write' ? outcome.decide : readerOnly(outcome.decide, login.value.user));
    if (reply.ok) send(req, res, 200, reply.value);
    else send(req, res, reply.error.status, errorBody(reply.error));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      logger.error('registry request failed', { error: describeError(e), method: req.method, url: req.url });
      if (!res.headersSent) send(req, res, 500, errorBody(registryErrors.internal()));
      else res.destroy();
    });
  });
  server.on('clientError', (_e, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${urlHost(host)}:${port}`,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await lane;
    },
  };
};
