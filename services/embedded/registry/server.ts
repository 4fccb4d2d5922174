/**
 * The registry's HTTP shell on fastify (like every service), routing the pure table of
 * http-routes.ts. Its Confluent error bodies `{error_code, message}` and their statuses are the
 * protocol the clients switch on, so it keeps them instead of the project's `{code, message}`
 * (services/platform/http-server.ts). The state lives here as one variable replaced by pure
 * transitions; writes go through a single lane so each decision sees every earlier write, and the
 * state moves only after the store acknowledged the records. After a failed append the log may
 * or may not hold the record (a lost ack), so the next write first rebuilds the state from the
 * store instead of guessing.
 */
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import type { AddressInfo } from 'node:net';
import { describeError } from '../../platform/errors.ts';
import type { Logger } from '../../platform/logger.ts';
import { err, ok, type Result } from '../../platform/result.ts';
import { pathSegments, resolveRoute, routes } from './http-routes.ts';
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

/** Confluent clients ask for its vendor type; a client asking only for plain JSON gets that. */
const send = (req: FastifyRequest, reply: FastifyReply, status: number, body: unknown): FastifyReply => {
  const accept = req.headers.accept ?? '';
  const type = accept.includes('application/json') && !accept.includes('schemaregistry') ? 'application/json' : CONTENT_TYPE;
  // A Buffer is sent with the type as given: fastify appends `; charset=utf-8` to a JSON type of a string.
  return reply.code(status).header('content-type', type).send(Buffer.from(JSON.stringify(body), 'utf8'));
};
const fail = (req: FastifyRequest, reply: FastifyReply, e: RegistryError): FastifyReply => send(req, reply, e.status, errorBody(e));

/** fastify's refusals of a request as Confluent errors: the status stays fastify's (a 4xx). */
const frameworkError = (e: FastifyError, limit: number): RegistryError => {
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return registryErrors.bodyTooLarge(limit);
  if (e.code === 'FST_ERR_CTP_INVALID_JSON_BODY') return registryErrors.malformedBody('not JSON (or it holds a __proto__ or constructor.prototype key)');
  const status = typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 ? e.statusCode : 400;
  return { status, errorCode: status, message: e.message };
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

  const app = Fastify({
    logger: false,
    bodyLimit: maxBody,
    // Connections are closed with the server (a client's keep-alive does not hold a stop).
    forceCloseConnections: true,
    routerOptions: {
      // Confluent clients join their base URL and the path: `http://host:8081/` + `/subjects` is `//subjects`.
      ignoreDuplicateSlashes: true,
      ignoreTrailingSlash: true,
      maxParamLength: 1024,
    },
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // A broken %-escape in the path (`/subjects/%ZZ`) names no resource: 404, as before fastify.
    frameworkErrors: (_e, req, reply) => {
      void fail(req, reply, registryErrors.notFound());
    },
  });
  // Every body is JSON whatever its Content-Type says (clients send the vendor type, plain JSON or
  // none); an empty one is no body. Only POST and PUT bodies mean anything.
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if ((req.method !== 'POST' && req.method !== 'PUT') || text.trim() === '') return done(null, undefined);
    void json(req, text, done);
  });

  const roles = new WeakMap<FastifyRequest, { user: string; role: 'read' | 'write' }>();
  app.addHook('onRequest', (req, reply, done) => {
    const login = opts.users === undefined ? ok({ user: '', role: 'write' as const }) : authenticate(opts.users, req.headers.authorization);
    if (!login.ok) {
      void reply.header('www-authenticate', 'Basic realm="gridfleet schema registry"');
      void fail(req, reply, login.error);
      return;
    }
    roles.set(req, login.value);
    done();
  });
  app.setErrorHandler((e: FastifyError, req, reply) => {
    const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
    if (status >= 500) {
      logger.error('registry request failed', { error: describeError(e), method: req.method, url: req.url.slice(0, 200) });
      return fail(req, reply, registryErrors.internal());
    }
    // The rest of a refused body is not read: the connection cannot carry another request.
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') void reply.header('connection', 'close');
    return fail(req, reply, frameworkError(e, maxBody));
  });
  // No route: 405 when the path is known under another method, else 404 (Confluent's answers).
  app.setNotFoundHandler((req, reply) => {
    const segments = pathSegments(req.url.split('?', 1)[0] ?? '');
    const r = segments === undefined ? undefined : resolveRoute(req.method, segments);
    return fail(req, reply, r?.kind === 'error' ? r.error : registryErrors.notFound());
  });

  for (const route of routes) {
    app.route({
      method: route.method, url: route.path, exposeHeadRoute: false,
      handler: async (req, reply) => {
        const login = roles.get(req) ?? { user: '', role: 'read' as const };
        const q = req.url.indexOf('?');
        const outcome = route.handle({ params: req.params as Record<string, string>, query: new URLSearchParams(q < 0 ? '' : req.url.slice(q + 1)), body: req.body, state });
        const answer = outcome.kind === 'read' ? outcome.reply : await runWrite(login.role === 'write' ? outcome.decide : readerOnly(outcome.decide, login.user));
        return answer.ok ? send(req, reply, 200, answer.value) : fail(req, reply, answer.error);
      },
    });
  }

  await app.listen({ port: opts.port, host });
  const server = app.server;
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${urlHost(host)}:${port}`,
    close: async () => {
      await app.close();
      await lane;
    },
  };
};
