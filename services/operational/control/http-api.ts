/**
 * The HTTP API (docs/control.md). Every request is authenticated by a bearer token, authorized by
 * role, and logged with who made it; the use cases live in control-service.ts.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import { readJsonBody } from '../../platform/http.ts';
import type { Logger } from '../../platform/logger.ts';
import { authenticate, authorize, type Action, type Principal, type TokenEntry } from './auth.ts';
import type { ControlService, Failure } from './control-service.ts';
import type { Result } from '../../platform/result.ts';

const MAX_BODY_BYTES = 64 * 1024;

const send = (res: ServerResponse, status: number, body: unknown): void => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};
const sendError = (res: ServerResponse, status: number, code: string, message: string): void => send(res, status, { code, message });

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly action: (params: string[]) => Action;
  readonly handle: (ctx: { who: Principal; params: string[]; body: unknown; res: ServerResponse }) => Promise<void> | void;
}

const reply = <T>(res: ServerResponse, r: Result<T, Failure>, okStatus = 200): void => {
  if (r.ok) send(res, okStatus, r.value);
  else sendError(res, r.error.status, r.error.code, r.error.message);
};

const field = (body: unknown, name: string): unknown => (typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined);

const routes = (svc: ControlService): Route[] => [
  { method: 'POST', pattern: /^\/v1\/events$/, action: () => ({ kind: 'dispatch' }), handle: async ({ who, body, res }) => reply(res, await svc.createEvent(who, body), 201) },
  { method: 'GET', pattern: /^\/v1\/events$/, action: () => ({ kind: 'read-events' }), handle: ({ res }) => send(res, 200, { events: svc.listEvents() }) },
  {
    method: 'GET', pattern: /^\/v1\/events\/([^/]+)$/, action: () => ({ kind: 'read-events' }),
    handle: ({ params, res }) => {
      const e = svc.event(params[0] ?? '');
      if (e === null) sendError(res, 404, 'UNKNOWN_EVENT', `no event ${params[0] ?? ''}`);
      else send(res, 200, e);
    },
  },
  {
    method: 'POST', pattern: /^\/v1\/events\/([^/]+)\/cancel$/, action: () => ({ kind: 'dispatch' }),
    handle: async ({ who, params, body, res }) => {
      const reason = field(body, 'reason');
      reply(res, await svc.cancelEvent(who, params[0] ?? '', typeof reason === 'string' ? reason.slice(0, 500) : null));
    },
  },
  { method: 'GET', pattern: /^\/v1\/sites\/([^/]+)$/, action: (p) => ({ kind: 'site', siteId: p[0] ?? '' }), handle: ({ params, res }) => send(res, 200, svc.site(params[0] ?? '')) },
  {
    method: 'POST', pattern: /^\/v1\/sites\/([^/]+)\/opt-outs$/, action: (p) => ({ kind: 'site', siteId: p[0] ?? '' }),
    handle: async ({ who, params, body, res }) => {
      const eventId = field(body, 'eventId');
      if (typeof eventId !== 'string') return sendError(res, 400, 'INVALID_OPT_OUT', 'body must be {"eventId": "..."}');
      reply(res, await svc.optOut(who, params[0] ?? '', eventId));
    },
  },
  {
    method: 'PUT', pattern: /^\/v1\/sites\/([^/]+)\/reserve$/, action: (p) => ({ kind: 'site', siteId: p[0] ?? '' }),
    handle: async ({ who, params, body, res }) => {
      const pct = field(body, 'reservePct');
      if (pct !== null && typeof pct !== 'number') return sendError(res, 400, 'INVALID_RESERVE', 'body must be {"reservePct": 0..100 | null}');
      reply(res, await svc.setReserve(who, params[0] ?? '', pct));
    },
  },
];

export const createHttpApi = (deps: { service: ControlService; tokens: readonly TokenEntry[]; logger: Logger }): Server => {
  const table = routes(deps.service);
  return createServer((req, res) => {
    const started = process.hrtime.bigint();
    const path = new URL(req.url ?? '/', 'http://control').pathname;
    const who = authenticate(deps.tokens, req.headers.authorization);
    res.on('finish', () => {
      deps.logger.info('request', { method: req.method, path, who: who?.name ?? null, status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 });
    });
    if (path === '/healthz') return send(res, 200, { ok: true });
    const matches = table.map((r) => ({ r, m: r.pattern.exec(path) })).filter((x) => x.m !== null);
    if (matches.length === 0) return sendError(res, 404, 'NOT_FOUND', `no route ${path}`);
    const hit = matches.find((x) => x.r.method === req.method);
    if (hit === undefined || hit.m === null) return sendError(res, 405, 'METHOD_NOT_ALLOWED', `${req.method ?? ''} is not allowed on ${path}`);
    if (who === null) return sendError(res, 401, 'UNAUTHENTICATED', 'send Authorization: Bearer <token>');
    const params = hit.m.slice(1).map((p) => decodeURIComponent(p));
    const allowed = authorize(who, hit.r.action(params));
    if (!allowed.ok) return sendError(res, 403, 'FORBIDDEN', allowed.message);
    void (async () => {
      const body = req.method === 'GET' ? { ok: true as const, value: undefined } : await readJsonBody(req, MAX_BODY_BYTES, { empty: {} });
      if (!body.ok) return sendError(res, body.error.status, body.error.code, body.error.message);
      await hit.r.handle({ who, params, body: body.value, res });
    })().catch((e: unknown) => {
      deps.logger.error('request failed', { path, who: who.name, error: e instanceof Error ? e.message : String(e) });
      if (!res.headersSent) sendError(res, 503, 'UNAVAILABLE', e instanceof Error ? e.message : String(e));
    });
  });
};
