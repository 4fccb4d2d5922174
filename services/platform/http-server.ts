/**
 * Every service's HTTP server: fastify with TypeBox schemas (the TypeScript types of params,
 * query, headers and bodies come from the same schema that validates them and that
 * @fastify/swagger publishes at /openapi.json), the project's error format `{code, message}` for
 * every refusal, and `/healthz`.
 *
 * The contract this module keeps (issue 16): no request, however malformed, ends the process.
 * Broken request lines and headers are answered by Node's parser (400, connection closed);
 * broken escapes in the path (`%ZZ`), `//`, absolute-form and `*` targets, bodies that are not
 * JSON, too deep, too large, of the wrong content type or with a lying Content-Length get a 4xx
 * here; anything a handler throws is a 500 with a logged cause, never an uncaught exception.
 */
import { redactUrl } from './redact.ts';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type RawServerDefault } from 'fastify';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Counter, Histogram, type Registry } from 'prom-client';
import { Type, type Static } from 'typebox';
import { configInvalid } from './errors.ts';
import type { TlsFiles } from './listener-config.ts';
import type { Logger } from './logger.ts';

export type HttpApp = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyInstance['log'], TypeBoxTypeProvider>;

/** The project's error body: a stable code from the service's table and a sentence for people. */
export const ErrorBody = Type.Object({ code: Type.String(), message: Type.String() }, { $id: 'ErrorBody' });
export type ErrorBody = Static<typeof ErrorBody>;

export interface HttpServerOptions {
  /** OpenAPI title and the `service` field of request logs. */
  readonly title: string;
  readonly description: string;
  readonly logger: Logger;
  /** Largest request body, bytes (default 64 KiB). */
  readonly bodyLimit?: number;
  /** Request log level: every request is logged with method, route, status and ms. Default debug. */
  readonly logRequests?: 'info' | 'debug';
  /** Bearer security scheme `bearer` for the OpenAPI document (routes opt in with `security`). */
  readonly bearer?: string;
  /** Several bearer schemes by name (a service with two kinds of caller). */
  readonly securitySchemes?: Record<string, { type: 'http'; scheme: 'bearer'; description: string } | { type: 'apiKey'; in: 'cookie'; name: string; description: string }>;
  /**
   * The service's Prometheus registry: when given, GET /metrics serves it, and every request is
   * counted in it (gridfleet_http_requests_total, gridfleet_http_request_duration_seconds).
   */
  readonly metrics?: Registry;
  /** More fields for each request's log line (who made it). */
  readonly logFields?: (req: FastifyRequest) => Record<string, unknown>;
  /** Serve HTTPS (and WSS on upgrades) with these PEM files; null or absent: plain HTTP. */
  readonly tls?: TlsFiles | null;
}

const readPem = (what: string, path: string): Buffer => {
  try {
    return readFileSync(path);
  } catch (e) {
    throw configInvalid('HTTP listener', [`cannot read the TLS ${what} file ${path}: ${e instanceof Error ? e.message : String(e)}`]);
  }
};

/**
 * An HTTPS server for fastify. With a client CA, only clients presenting a certificate it signed
 * complete the handshake (mutual TLS, checked by Node's TLS layer before any HTTP is parsed),
 * unless clientCertRequired is false: then a certificate is asked for, and the service reads the
 * verdict per request (the gateway's device identity, client-certificate.ts).
 * https.Server emits the same request and upgrade events, so the app and the gateway's WebSocket
 * upgrade (WSS) work on it unchanged.
 */
export const httpsOptions = (tls: TlsFiles): ServerOptions => ({
  key: readPem('key', tls.keyFile),
  cert: readPem('certificate', tls.certFile),
  ...(tls.clientCaFile === null ? {} : { ca: readPem('client CA', tls.clientCaFile), requestCert: true, rejectUnauthorized: tls.clientCertRequired !== false }),
});

const httpsFactory = (tls: TlsFiles) => {
  const options = httpsOptions(tls);
  return (handler: (req: IncomingMessage, res: ServerResponse) => void): Server => createHttpsServer(options, handler);
};

/** Maps fastify's own refusals to the project's codes; the status stays fastify's (always 4xx for these). */
const frameworkCodes: Readonly<Record<string, string>> = {
  FST_ERR_VALIDATION: 'INVALID_REQUEST',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_CONTENT_LENGTH',
  FST_ERR_CTP_BODY_TOO_LARGE: 'OVERSIZED',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED',
  FST_ERR_CTP_INSTANCE_ALREADY_STARTED: 'INTERNAL',
  FST_ERR_BAD_URL: 'BAD_URL',
};

export const sendProblem = (reply: FastifyReply, status: number, code: string, message: string): FastifyReply =>
  reply.code(status).type('application/json').send({ code, message } satisfies ErrorBody);

const errorHandler = (logger: Logger) => (e: FastifyError, req: FastifyRequest, reply: FastifyReply): void => {
  const status = typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 ? e.statusCode : 500;
  if (status === 500) {
    // The URL may carry a credential (?token=): it is redacted before it is logged.
    logger.error('request failed', { method: req.method, url: redactUrl(req.url).slice(0, 200), error: e.message });
    void sendProblem(reply, 500, 'INTERNAL', 'internal error');
    return;
  }
  // A body that JSON.parse refuses is a SyntaxError with statusCode 400 and no fastify code.
  // fastify's own JSON parser keeps no reason: the message says what was refused.
  const code = frameworkCodes[e.code] ?? (e instanceof SyntaxError ? 'MALFORMED' : 'BAD_REQUEST');
  const message = e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ? 'body is not JSON (or holds a __proto__ or constructor.prototype key)'
    : e instanceof SyntaxError ? `body is not JSON: ${e.message}` : e.message;
  void sendProblem(reply, status, code, message);
};

/**
 * A fastify app with the project's defaults. Routes are added by the caller; call `listen` (below)
 * once they are, so /openapi.json describes all of them.
 */
export const createHttpApp = async (opts: HttpServerOptions): Promise<HttpApp> => {
  const app = Fastify({
    ...(opts.tls ? { serverFactory: httpsFactory(opts.tls) } : {}),
    logger: false,
    bodyLimit: opts.bodyLimit ?? 64 * 1024,
    return503OnClosing: true,
    routerOptions: {
      // Path parameters are ids; a longer one is a 404, not an allocation.
      maxParamLength: 256,
      // `//` and `/x/` are not aliases of `/` and `/x`: one resource, one URL.
      ignoreDuplicateSlashes: false,
      ignoreTrailingSlash: false,
    },
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    // Errors that happen before a route is found (a broken %-escape in the path) get our format too.
    frameworkErrors: (e, _req, reply) => {
      void sendProblem(reply, 400, frameworkCodes[e.code] ?? 'BAD_REQUEST', e.message);
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: opts.title, description: opts.description, version: '1' },
      components: {
        securitySchemes: { ...(opts.bearer === undefined ? {} : { bearer: { type: 'http', scheme: 'bearer', description: opts.bearer } }), ...opts.securitySchemes },
      },
    },
    refResolver: { buildLocalReference: (json, _base, _frag, i) => (typeof json['$id'] === 'string' ? json['$id'] : `def-${i}`) },
  });
  app.addSchema(ErrorBody);
  // An empty JSON body is "no body" (a POST without a payload), not a parse error; everything else
  // goes through fastify's parser, which refuses __proto__ and constructor.prototype keys.
  const json = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    void json(req, text, done);
  });

  app.setErrorHandler(errorHandler(opts.logger));
  app.setNotFoundHandler((req, reply) => {
    void sendProblem(reply, 404, 'NOT_FOUND', `no route ${req.method} ${redactUrl(req.url).slice(0, 200)}`);
  });
  const level = opts.logRequests ?? 'debug';
  const registry = opts.metrics;
  const requests = registry === undefined ? null : new Counter({ name: 'gridfleet_http_requests_total', help: 'HTTP requests answered, by route (the pattern, "unmatched" when none), method and status', labelNames: ['route', 'method', 'status'], registers: [registry] });
  const latency = registry === undefined ? null : new Histogram({ name: 'gridfleet_http_request_duration_seconds', help: 'Time from request to response, by route', labelNames: ['route', 'method'], registers: [registry], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5] });
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const path = req.url.split('?', 1)[0]?.slice(0, 200) ?? '';
    opts.logger[level]('request', { method: req.method, path, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100, ...opts.logFields?.(req) });
    requests?.inc({ route, method: req.method, status: String(reply.statusCode) });
    latency?.observe({ route, method: req.method }, reply.elapsedTime / 1000);
    done();
  });
  if (registry !== undefined) {
    app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  }
  app.get('/openapi.json', { schema: { hide: true } }, (_req, reply) => reply.type('application/json').send(app.swagger()));
  return app;
};

/** The error responses a route documents besides its success. */
export const errors = (...statuses: readonly number[]): Record<number, { $ref: string }> =>
  Object.fromEntries(statuses.map((s) => [s, { $ref: 'ErrorBody#' }]));

/** Listens on host:port (0 picks a free port) and resolves with the URL. */
export const listen = async (app: HttpApp, port: number, host = '127.0.0.1'): Promise<{ url: string; port: number }> => {
  await app.listen({ port, host });
  const bound = (app.server.address() as AddressInfo).port;
  const scheme = 'setSecureContext' in app.server ? 'https' : 'http';
  return { url: `${scheme}://${host.includes(':') ? `[${host}]` : host}:${bound}`, port: bound };
};
