/**
 * The console's HTTP server (fastify, services/platform/http-server.ts): the page (index.html, its
 * bundle, its stylesheet) and the API under /api, described at /openapi.json
 * (docs/openapi/console.json), all JSON with `{code, message}` errors:
 *
 * - POST /api/session {token, siteId?}: sign in (the role is learnt from control), sets the cookie;
 *   GET /api/session: who is signed in; DELETE /api/session: sign out;
 * - GET /api/stream: server-sent events (fleet, events, health, site) while the page is open;
 * - POST /api/events, POST /api/events/{id}/cancel, GET /api/events/{id}: forwarded to control
 *   with the session's token (control enforces roles; the console refuses early what the role may not);
 * - POST /api/sites/{id}/opt-outs, PUT /api/sites/{id}/reserve: a customer's own site, to control;
 * - GET /api/forecast?scope=: the forecast panel, from ClickHouse, or "analytics unavailable".
 *
 * Who may call what is decided in onRequest hooks, before the body is parsed or validated: a
 * stranger or a viewer learns nothing about a body's schema, and nothing is read for them.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Registry } from 'prom-client';
import type { Static } from 'typebox';
import { createHttpApp, errors, sendProblem, type HttpApp } from '../platform/http-server.ts';
import type { Logger } from '../platform/logger.ts';
import type { Analytics } from './analytics.ts';
import {
  CancelBody, CreateEventBody, EventAnswer, EventParams, ForecastQuery, ForecastView, Health, IdempotencyHeaders, OptOutAnswer, OptOutBody, ReserveAnswer, ReserveBody,
  SignedOut, SignInBody, SiteParams, Who,
} from './api-schemas.ts';
import type { ConsoleConfig } from './config.ts';
import { parseScope } from './forecast-queries.ts';
import type { LiveFeed } from './live-feed.ts';
import { capabilitiesOf, dispatchRefusal, parseSignIn, roleFromProbes, type Capabilities } from './roles.ts';
import { clearedCookie, COOKIE, sessionCookie, type Session, type Sessions } from './sessions.ts';
import type { SignInThrottle } from './sign-in-throttle.ts';
import { call, errorOf, type Answer } from './upstream.ts';

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
  readonly signIns: SignInThrottle;
  /** Real time, ms: the sign-in throttle's window. */
  readonly now: () => number;
}

declare module 'fastify' {
  interface FastifyRequest { consoleSession?: Session }
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
};

const security = [{ session: [] }];

/** Learns the token's role from control (see roles.ts) without changing anything there. */
const signIn = async (config: ConsoleConfig, token: string, siteId: string | null): Promise<ReturnType<typeof roleFromProbes>> => {
  const timeoutMs = config.upstreamTimeoutMs;
  const events = await call(`${config.controlUrl}/v1/events`, { token, timeoutMs });
  if (events.status === null) return { ok: false, status: 503, message: errorOf(events, 'control').message };
  const cancelProbe = events.status === 200 ? (await call(`${config.controlUrl}/v1/events/console-role-probe/cancel`, { method: 'POST', token, body: {}, timeoutMs })).status : null;
  const siteProbe = events.status === 403 && siteId !== null ? (await call(`${config.controlUrl}/v1/sites/${encodeURIComponent(siteId)}`, { token, timeoutMs })).status : null;
  return roleFromProbes({ events: events.status, cancelProbe, siteProbe, siteId });
};

const who = (s: Session) => ({ role: s.role, siteId: s.siteId, capabilities: capabilitiesOf(s.role) });

/** Forwards a control answer to the browser as it came (status and body), or 502 with why. */
const relay = (reply: FastifyReply, a: Answer): FastifyReply => {
  if (a.status === null) return sendProblem(reply, 502, 'UPSTREAM_UNAVAILABLE', errorOf(a, 'control').message);
  // Control's own text, not re-serialized: a string is sent as it is, whatever the route's schema.
  return reply.code(a.status).type('application/json').send(a.body === null ? JSON.stringify(errorOf(a, 'control')) : a.text);
};

/** An empty body of a route whose body is optional is `{}` (the schema then checks it). */
const emptyIsObject = (req: FastifyRequest, _reply: FastifyReply, done: () => void): void => {
  req.body ??= {};
  done();
};

export const createConsoleApp = async (deps: ServerDeps): Promise<HttpApp> => {
  const { config, sessions, feed } = deps;
  const timeoutMs = config.upstreamTimeoutMs;
  const app = await createHttpApp({
    title: 'gridfleet console', description: 'The operations console\'s API: sign-in, the live stream and what the console forwards to control (docs/console.md).',
    logger: deps.logger, metrics: new Registry(), tls: config.tls,
    securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: COOKIE, description: 'the session cookie POST /api/session sets' } },
    logFields: (req) => ({ role: req.consoleSession?.role ?? null }),
  });
  app.addSchema(Who);
  app.addHook('onRequest', (_req, reply, done) => {
    // On the raw response: they stay on a hijacked reply (the live stream) too.
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.raw.setHeader(k, v);
    done();
  });
  app.addHook('onSend', (_req, reply, payload, done) => {
    // Answers are about a moment and a session: never cached (the page's files say no-cache).
    if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
    done(null, payload);
  });

  /** The session of the request's cookie; 401 without one, 403 when `allowed` refuses (the reason). */
  const signedIn = (allowed: (s: Session, caps: Capabilities, req: FastifyRequest) => string | null = () => null) =>
    async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
      const s = sessions.get(req.headers.cookie);
      if (s === null) return void sendProblem(reply, 401, 'UNAUTHENTICATED', 'sign in with a control token');
      req.consoleSession = s;
      const refusal = allowed(s, capabilitiesOf(s.role), req);
      if (refusal !== null) return void sendProblem(reply, 403, 'FORBIDDEN', refusal);
    };
  const session = (req: FastifyRequest): Session => {
    if (req.consoleSession === undefined) throw new Error('route without its guard');
    return req.consoleSession;
  };
  const operator = signedIn((s) => dispatchRefusal(s.role));
  const ownSite = signedIn((s, _c, req) => {
    const siteId = (req.params as { siteId?: string }).siteId ?? '';
    if (s.siteId === siteId) return null;
    return s.siteId === null ? 'only the site\'s customer may change its choices' : `this session controls ${s.siteId}, not ${siteId}`;
  });

  app.get('/healthz', { schema: { response: { 200: Health } } }, () => ({ status: 'ok' as const, streams: feed.streams() }));

  app.post('/api/session', {
    schema: {
      summary: 'Sign in with a control token (the role is learnt from control); sets the session cookie. After CONSOLE_SIGN_IN_FAILURES (5) refused sign-ins from an address within a minute, it waits (429, Retry-After)',
      body: SignInBody, response: { 200: { $ref: 'Who#' }, ...errors(400, 401, 403, 413, 415, 429, 502, 503) },
    },
  }, async (req, reply) => {
    const input = parseSignIn(req.body);
    if (!input.ok) return sendProblem(reply, 400, 'INVALID_SIGN_IN', input.message);
    const waitMs = deps.signIns.waitMs(req.ip, deps.now());
    if (waitMs > 0) {
      const s = Math.ceil(waitMs / 1000);
      return sendProblem(reply.header('retry-after', String(s)), 429, 'TOO_MANY_SIGN_INS', `too many refused sign-ins from this address: try again in ${s} s`);
    }
    const r = await signIn(config, input.token, input.siteId);
    // Only refusals of the token count: control being down is not the client's guess.
    if (!r.ok && (r.status === 401 || r.status === 403)) deps.signIns.failed(req.ip, deps.now());
    if (!r.ok) return sendProblem(reply, r.status, r.status === 401 ? 'UNAUTHENTICATED' : 'SIGN_IN_REFUSED', r.message);
    const s = sessions.create({ token: input.token, role: r.role, siteId: r.siteId });
    return reply.header('set-cookie', sessionCookie(s.id, config.tls !== null)).send(who(s));
  });
  app.get('/api/session', {
    onRequest: signedIn(), schema: { summary: 'Who is signed in, and what the role may do', security, response: { 200: { $ref: 'Who#' }, ...errors(401) } },
  }, (req) => who(session(req)));
  app.delete('/api/session', {
    schema: { summary: 'Sign out (the session\'s live streams end); answers 200 signed in or not', response: { 200: SignedOut } },
  }, async (req, reply) => {
    const s = sessions.get(req.headers.cookie);
    if (s !== null) {
      sessions.remove(s.id);
      feed.endSession(s.id);
    }
    return reply.header('set-cookie', clearedCookie(config.tls !== null)).send({ signedOut: true as const });
  });

  app.get('/api/stream', {
    onRequest: signedIn(),
    schema: {
      summary: 'The live panels as server-sent events (hello, fleet, events, health, site) while the page is open', security,
      response: { 200: { description: 'an event stream that stays open', content: { 'text/event-stream': { schema: { type: 'string' } } } }, ...errors(401) },
    },
  }, (req, reply) => {
    reply.hijack();
    feed.open(session(req), reply.raw);
  });

  app.post('/api/events', {
    onRequest: operator,
    schema: {
      summary: 'Create a grid event: forwarded to control with the session\'s token', security, headers: IdempotencyHeaders, body: CreateEventBody,
      response: { 201: EventAnswer, ...errors(400, 401, 403, 404, 409, 413, 415, 422, 502, 503) },
    },
  }, async (req, reply) => {
    const key = req.headers['idempotency-key'];
    const a = await call(`${config.controlUrl}/v1/events`, { method: 'POST', token: session(req).token, body: req.body, timeoutMs, ...(key === undefined ? {} : { headers: { 'idempotency-key': key } }) });
    const id = (a.body as { event?: { eventId?: unknown } } | null)?.event?.eventId;
    if (a.status === 201 && typeof id === 'string') feed.created(id);
    return relay(reply, a);
  });
  app.post('/api/events/:eventId/cancel', {
    onRequest: operator, preValidation: emptyIsObject,
    schema: { summary: 'Cancel an event: forwarded to control', security, params: EventParams, body: CancelBody, response: { 200: EventAnswer, ...errors(400, 401, 403, 404, 409, 413, 415, 502, 503) } },
  }, async (req, reply) =>
    relay(reply, await call(`${config.controlUrl}/v1/events/${encodeURIComponent(req.params.eventId)}/cancel`, { method: 'POST', token: session(req).token, body: req.body, timeoutMs })));
  app.get('/api/events/:eventId', {
    onRequest: signedIn((_s, caps) => (caps.seeEvents ? null : 'customers see their own site only')),
    schema: { summary: 'One event with its fulfillment, from control', security, params: EventParams, response: { 200: EventAnswer, ...errors(400, 401, 403, 404, 502) } },
  }, async (req, reply) => relay(reply, await call(`${config.controlUrl}/v1/events/${encodeURIComponent(req.params.eventId)}`, { token: session(req).token, timeoutMs })));

  app.post('/api/sites/:siteId/opt-outs', {
    onRequest: ownSite,
    schema: { summary: 'Opt the session\'s own site out of an event: forwarded to control', security, params: SiteParams, body: OptOutBody, response: { 200: OptOutAnswer, ...errors(400, 401, 403, 404, 413, 415, 502, 503) } },
  }, async (req, reply) =>
    relay(reply, await call(`${config.controlUrl}/v1/sites/${encodeURIComponent(req.params.siteId)}/opt-outs`, { method: 'POST', token: session(req).token, body: req.body, timeoutMs })));
  app.put('/api/sites/:siteId/reserve', {
    onRequest: ownSite,
    schema: { summary: 'Set the session\'s own site\'s backup reserve: forwarded to control', security, params: SiteParams, body: ReserveBody, response: { 200: ReserveAnswer, ...errors(400, 401, 403, 413, 415, 502, 503) } },
  }, async (req, reply) =>
    relay(reply, await call(`${config.controlUrl}/v1/sites/${encodeURIComponent(req.params.siteId)}/reserve`, { method: 'PUT', token: session(req).token, body: req.body, timeoutMs })));

  app.get('/api/forecast', {
    onRequest: signedIn((_s, caps) => (caps.seeForecasts ? null : 'forecasts are for operators and viewers')),
    schema: { summary: 'The forecast panel of a scope, from ClickHouse (or why analytics is unavailable)', security, querystring: ForecastQuery, response: { 200: ForecastView, ...errors(400, 401, 403) } },
  }, async (req, reply) => {
    const scope = parseScope(req.query.scope);
    if (!scope.ok) return sendProblem(reply, 400, 'INVALID_SCOPE', scope.error);
    // forecast-queries.ts builds it with readonly arrays; the shape is the schema's.
    return reply.send((await deps.analytics.forecast(scope.value)) as Static<typeof ForecastView>);
  });

  // The page: not part of the API description. HEAD is answered too (fastify adds it to every GET).
  const asset = (type: string, body: string) => (_req: FastifyRequest, reply: FastifyReply) => reply.type(type).header('cache-control', 'no-cache').send(body);
  const html = asset('text/html; charset=utf-8', deps.page.html);
  app.get('/', { schema: { hide: true } }, html);
  app.get('/index.html', { schema: { hide: true } }, html);
  app.get('/app.js', { schema: { hide: true } }, asset('text/javascript; charset=utf-8', deps.page.js));
  app.get('/app.css', { schema: { hide: true } }, asset('text/css; charset=utf-8', deps.page.css));
  return app;
};
