/**
 * The console's HTTP server: the page (index.html, its bundle, its stylesheet) and the API under
 * /api, all JSON with `{code, message}` errors:
 *
 * - POST /api/session {token, siteId?}: sign in (the role is learnt from control), sets the cookie;
 *   GET /api/session: who is signed in; DELETE /api/session: sign out;
 * - GET /api/stream: server-sent events (fleet, events, health, site) while the page is open;
 * - POST /api/events, POST /api/events/{id}/cancel, GET /api/events/{id}: forwarded to control
 *   with the session's token (control enforces roles; the console refuses early what the role may not);
 * - POST /api/sites/{id}/opt-outs, PUT /api/sites/{id}/reserve: a customer's own site, to control;
 * - GET /api/forecast?scope=: the forecast panel, from ClickHouse, or "analytics unavailable".
 */
import { createServer as createHttpsServer } from 'node:https';
import { httpsOptions } from '../platform/http-server.ts';
import { requestTarget } from '../platform/request-target.ts';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readJsonBody } from '../platform/http.ts';
import type { Logger } from '../platform/logger.ts';
import type { Analytics } from './analytics.ts';
import type { ConsoleConfig } from './config.ts';
import { parseScope } from './forecast-queries.ts';
import type { LiveFeed } from './live-feed.ts';
import { capabilitiesOf, dispatchRefusal, parseSignIn, roleFromProbes } from './roles.ts';
import { clearedCookie, sessionCookie, type Session, type Sessions } from './sessions.ts';
import { call, errorOf } from './upstream.ts';

const MAX_BODY_BYTES = 64 * 1024;

export interface Page {
  readonly html: string;
  readonly js: string;
  readonly css: string;
}

export interface ServerDeps {
  readonly config: ConsoleConfig;
  readonly sessions: Sessions;
  readonly feed: LiveFeed;
  readonly analytics: Analytics;
  readonly page: Page;
  readonly logger: Logger;
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
};

const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  res.end(text);
};
const fail = (res: ServerResponse, status: number, code: string, message: string): void => send(res, status, { code, message });

/** Learns the token's role from control (see roles.ts) without changing anything there. */
const signIn = async (config: ConsoleConfig, token: string, siteId: string | null): Promise<ReturnType<typeof roleFromProbes>> => {
  const timeoutMs = config.upstreamTimeoutMs;
  const events = await call(`${config.controlUrl}/v1/events`, { token, timeoutMs });
  if (events.status === null) return { ok: false, status: 503, message: errorOf(events, 'control').message };
  const cancelProbe = events.status === 200 ? (await call(`${config.controlUrl}/v1/events/console-role-probe/cancel`, { method: 'POST', token, body: {}, timeoutMs })).status : null;
  const siteProbe = events.status === 403 && siteId !== null ? (await call(`${config.controlUrl}/v1/sites/${encodeURIComponent(siteId)}`, { token, timeoutMs })).status : null;
  return roleFromProbes({ events: events.status, cancelProbe, siteProbe, siteId });
};

/** A path segment as the id it encodes; a broken %-escape (`%ZZ`) is taken as the literal text, never thrown. */
const segment = (raw: string | undefined): string => {
  try {
    return decodeURIComponent(raw ?? '');
  } catch {
    return raw ?? '';
  }
};

const who = (s: Session): Record<string, unknown> => ({ role: s.role, siteId: s.siteId, capabilities: capabilitiesOf(s.role) });

export const createConsoleServer = (deps: ServerDeps): Server => {
  const { config, sessions, feed } = deps;
  const timeoutMs = config.upstreamTimeoutMs;

  /** Forwards a control answer to the browser as it is (status and body), or 502 with why. */
  const relay = (res: ServerResponse, a: Awaited<ReturnType<typeof call>>): void => {
    if (a.status === null) return fail(res, 502, 'UPSTREAM_UNAVAILABLE', errorOf(a, 'control').message);
    send(res, a.status, a.body ?? errorOf(a, 'control'));
  };

  const api = async (req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<void> => {
    const method = req.method ?? 'GET';
    if (path === '/api/session') {
      if (method === 'POST') {
        const body = await readJsonBody(req, MAX_BODY_BYTES, { empty: {} });
        if (!body.ok) return fail(res, body.error.status, body.error.code, body.error.message);
        const input = parseSignIn(body.value);
        if (!input.ok) return fail(res, 400, 'INVALID_SIGN_IN', input.message);
        const r = await signIn(config, input.token, input.siteId);
        if (!r.ok) return fail(res, r.status, r.status === 401 ? 'UNAUTHENTICATED' : 'SIGN_IN_REFUSED', r.message);
        const s = sessions.create({ token: input.token, role: r.role, siteId: r.siteId });
        return send(res, 200, who(s), { 'set-cookie': sessionCookie(s.id, config.tls !== null) });
      }
      const s = sessions.get(req.headers.cookie);
      if (method === 'DELETE') {
        if (s !== null) {
          sessions.remove(s.id);
          feed.endSession(s.id);
        }
        return send(res, 200, { signedOut: true }, { 'set-cookie': clearedCookie(config.tls !== null) });
      }
      if (method !== 'GET') return fail(res, 405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}`);
      return s === null ? fail(res, 401, 'UNAUTHENTICATED', 'sign in with a control token') : send(res, 200, who(s));
    }

    const s = sessions.get(req.headers.cookie);
    if (s === null) return fail(res, 401, 'UNAUTHENTICATED', 'sign in with a control token');
    const caps = capabilitiesOf(s.role);

    if (path === '/api/stream' && method === 'GET') return feed.open(s, res);

    if (path === '/api/events' && method === 'POST') {
      const refusal = dispatchRefusal(s.role);
      if (refusal !== null) return fail(res, 403, 'FORBIDDEN', refusal);
      const body = await readJsonBody(req, MAX_BODY_BYTES, { empty: {} });
      if (!body.ok) return fail(res, body.error.status, body.error.code, body.error.message);
      const a = await call(`${config.controlUrl}/v1/events`, { method: 'POST', token: s.token, body: body.value, timeoutMs });
      const id = (a.body as { event?: { eventId?: unknown } } | null)?.event?.eventId;
      if (a.status === 201 && typeof id === 'string') feed.created(id);
      return relay(res, a);
    }
    const cancel = /^\/api\/events\/([^/]+)\/cancel$/.exec(path);
    if (cancel !== null && method === 'POST') {
      const refusal = dispatchRefusal(s.role);
      if (refusal !== null) return fail(res, 403, 'FORBIDDEN', refusal);
      const body = await readJsonBody(req, MAX_BODY_BYTES, { empty: {} });
      if (!body.ok) return fail(res, body.error.status, body.error.code, body.error.message);
      return relay(res, await call(`${config.controlUrl}/v1/events/${encodeURIComponent(segment(cancel[1]))}/cancel`, { method: 'POST', token: s.token, body: body.value, timeoutMs }));
    }
    const detail = /^\/api\/events\/([^/]+)$/.exec(path);
    if (detail !== null && method === 'GET') {
      if (!caps.seeEvents) return fail(res, 403, 'FORBIDDEN', 'customers see their own site only');
      return relay(res, await call(`${config.controlUrl}/v1/events/${encodeURIComponent(segment(detail[1]))}`, { token: s.token, timeoutMs }));
    }
    const site = /^\/api\/sites\/([^/]+)\/(opt-outs|reserve)$/.exec(path);
    if (site !== null && ((site[2] === 'opt-outs' && method === 'POST') || (site[2] === 'reserve' && method === 'PUT'))) {
      const siteId = segment(site[1]);
      if (s.siteId !== siteId) return fail(res, 403, 'FORBIDDEN', s.siteId === null ? 'only the site\'s customer may change its choices' : `this session controls ${s.siteId}, not ${siteId}`);
      const body = await readJsonBody(req, MAX_BODY_BYTES, { empty: {} });
      if (!body.ok) return fail(res, body.error.status, body.error.code, body.error.message);
      return relay(res, await call(`${config.controlUrl}/v1/sites/${encodeURIComponent(siteId)}/${site[2]}`, { method, token: s.token, body: body.value, timeoutMs }));
    }
    if (path === '/api/forecast' && method === 'GET') {
      if (!caps.seeForecasts) return fail(res, 403, 'FORBIDDEN', 'forecasts are for operators and viewers');
      const scope = parseScope(url.searchParams.get('scope'));
      if (!scope.ok) return fail(res, 400, 'INVALID_SCOPE', scope.error);
      return send(res, 200, await deps.analytics.forecast(scope.value));
    }
    return fail(res, 404, 'NOT_FOUND', `no route ${method} ${path}`);
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    const url = requestTarget(req.url);
    if (url === undefined) return fail(res, 400, 'BAD_URL', 'the request target must be a path starting with /');
    const path = url.pathname;
    if (path.startsWith('/api/')) {
      api(req, res, path, url).catch((e: unknown) => {
        deps.logger.error('request failed', { path, error: e instanceof Error ? e.message : String(e) });
        if (!res.headersSent) fail(res, 500, 'INTERNAL', e instanceof Error ? e.message : String(e));
      });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return fail(res, 405, 'METHOD_NOT_ALLOWED', 'the page is read with GET');
    if (path === '/healthz') return send(res, 200, { status: 'ok', streams: feed.streams() });
    const asset = path === '/' || path === '/index.html' ? { type: 'text/html; charset=utf-8', body: deps.page.html }
      : path === '/app.js' ? { type: 'text/javascript; charset=utf-8', body: deps.page.js }
      : path === '/app.css' ? { type: 'text/css; charset=utf-8', body: deps.page.css }
      : null;
    if (asset === null) return fail(res, 404, 'NOT_FOUND', `no page at ${path}`);
    res.writeHead(200, { 'content-type': asset.type, 'content-length': Buffer.byteLength(asset.body), 'cache-control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
  };
  return deps.config.tls === null ? createServer(handler) : createHttpsServer(httpsOptions(deps.config.tls), handler);
};
