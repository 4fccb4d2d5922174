/**
 * The HTTP API (docs/control.md, docs/openapi/control.json). Every /v1 request is authenticated
 * by a bearer token, authorized by role, and logged with who made it; the use cases live in
 * control-service.ts and answer domain codes, mapped to statuses by their Failure.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Registry } from 'prom-client';
import type { TlsFiles } from '../../platform/listener-config.ts';
import { createHttpApp, errors, sendProblem, type HttpApp } from '../../platform/http-server.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Result } from '../../platform/result.ts';
import { authenticate, authorize, type Action, type Principal, type TokenEntry } from './auth.ts';
import type { ControlService, Failure } from './control-service.ts';
import { httpStatusOf } from './control-errors.ts';
import {
  CancelBody, CreateEventBody, EventDetail, EventList, EventParams, EventSummary, Health, IdempotencyHeaders, OptOutBody, OptOutResult,
  ReserveBody, ReserveResult, SiteParams, SiteView,
} from './http-schemas.ts';
import { createIdempotencyStore } from './idempotency.ts';
import { registerEventMetrics } from './event-metrics.ts';

const MAX_BODY_BYTES = 64 * 1024;
const bearer = [{ bearer: [] }];

declare module 'fastify' {
  interface FastifyRequest { who?: Principal }
}

const send = <T>(reply: FastifyReply, r: Result<T, Failure>, okStatus = 200): FastifyReply =>
  r.ok ? reply.code(okStatus).send(r.value) : sendProblem(reply, httpStatusOf(r.error.code), r.error.code, r.error.message);

export interface HttpApiDeps {
  readonly service: ControlService;
  readonly tokens: readonly TokenEntry[];
  readonly logger: Logger;
  readonly now?: () => number;
  /** What /healthz says (default {ok: true}): control adds its role, leader or standby. */
  readonly health?: () => { ok: boolean; role?: string; instanceId?: string };
  /** HTTPS with these files; absent or null: plain HTTP. */
  readonly tls?: TlsFiles | null;
}

/** Builds the app (not listening): routes, schemas, /healthz, /metrics, /openapi.json. */
export const createHttpApi = async (deps: HttpApiDeps): Promise<HttpApp> => {
  const svc = deps.service;
  const metrics = new Registry();
  registerEventMetrics(metrics, svc);
  const app = await createHttpApp({
    title: 'gridfleet control', description: 'Operators\' grid events and customers\' site choices (docs/control.md).',
    logger: deps.logger, bodyLimit: MAX_BODY_BYTES, logRequests: 'info', tls: deps.tls ?? null, bearer: 'operator, viewer or customer token (CONTROL_TOKENS)', metrics,
    logFields: (req) => ({ who: req.who?.name ?? null }),
  });
  const idempotent = createIdempotencyStore<Result<unknown, Failure>>({
    ttlMs: 24 * 3_600_000, maxKeys: 10_000, now: deps.now ?? Date.now, keep: (r) => r.ok || httpStatusOf(r.error.code) < 500,
  });

  /** Authenticates and authorizes before the body is validated: a stranger learns nothing about the schema. */
  const guard = (action: (req: FastifyRequest) => Action) => async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const who = authenticate(deps.tokens, req.headers.authorization);
    if (who === null) return void sendProblem(reply, 401, 'UNAUTHENTICATED', 'send Authorization: Bearer <token>');
    req.who = who;
    const allowed = authorize(who, action(req));
    if (!allowed.ok) return void sendProblem(reply, 403, 'FORBIDDEN', allowed.message);
  };
  const principal = (req: FastifyRequest): Principal => {
    if (req.who === undefined) throw new Error('route without its guard');
    return req.who;
  };
  const siteOf = (req: FastifyRequest): string => (req.params as { siteId?: string }).siteId ?? '';
  const readEvents = guard(() => ({ kind: 'read-events' }));
  const dispatch = guard(() => ({ kind: 'dispatch' }));
  const site = guard((req) => ({ kind: 'site', siteId: siteOf(req) }));

  app.get('/healthz', { schema: { response: { 200: Health } } }, () => deps.health?.() ?? { ok: true });
  app.addSchema(EventSummary);
  app.addSchema(EventDetail);

  app.post('/v1/events', {
    onRequest: dispatch,
    schema: { summary: 'Create a grid event', security: bearer, headers: IdempotencyHeaders, body: CreateEventBody, response: { 201: { $ref: 'EventDetail#' }, ...errors(400, 401, 403, 409, 413, 415, 422, 503) } },
  }, async (req, reply) => {
    const who = principal(req);
    const key = req.headers['idempotency-key'];
    if (key === undefined) return send(reply, await svc.createEvent(who, req.body), 201);
    const outcome = await idempotent.run(who.name, key, JSON.stringify(req.body), () => svc.createEvent(who, req.body));
    if (outcome.kind === 'mismatch') return sendProblem(reply, 422, 'IDEMPOTENCY_KEY_REUSED', `Idempotency-Key ${key} was used with a different body`);
    if (outcome.kind === 'replayed') void reply.header('idempotent-replayed', 'true');
    return send(reply, outcome.value, 201);
  });
  app.get('/v1/events', {
    onRequest: readEvents, schema: { summary: 'List grid events, newest first', security: bearer, response: { 200: EventList, ...errors(401, 403) } },
  }, () => ({ events: svc.listEvents() }));
  app.get('/v1/events/:eventId', {
    onRequest: readEvents, schema: { summary: 'One event with its fulfillment', security: bearer, params: EventParams, response: { 200: { $ref: 'EventDetail#' }, ...errors(401, 403, 404) } },
  }, (req, reply) => {
    const e = svc.event(req.params.eventId);
    return e === null ? sendProblem(reply, 404, 'UNKNOWN_EVENT', `no event ${req.params.eventId}`) : reply.send(e);
  });
  app.post('/v1/events/:eventId/cancel', {
    onRequest: dispatch,
    // The body is optional: a cancel without a reason.
    preValidation: (req, _reply, done) => {
      req.body ??= {};
      done();
    },
    schema: { summary: 'Cancel an event (its sites are released)', security: bearer, params: EventParams, body: CancelBody, response: { 200: { $ref: 'EventDetail#' }, ...errors(400, 401, 403, 404, 409, 503) } },
  }, async (req, reply) => send(reply, await svc.cancelEvent(principal(req), req.params.eventId, req.body.reason ?? null)));
  app.get('/v1/sites/:siteId', {
    onRequest: site, schema: { summary: 'A site\'s choices and events (its customer only)', security: bearer, params: SiteParams, response: { 200: SiteView, ...errors(401, 403) } },
  }, (req) => svc.site(req.params.siteId));
  app.post('/v1/sites/:siteId/opt-outs', {
    onRequest: site,
    schema: { summary: 'Opt the site out of an event', security: bearer, params: SiteParams, body: OptOutBody, response: { 200: OptOutResult, ...errors(400, 401, 403, 404, 503) } },
  }, async (req, reply) => send(reply, await svc.optOut(principal(req), req.params.siteId, req.body.eventId)));
  app.put('/v1/sites/:siteId/reserve', {
    onRequest: site,
    schema: { summary: 'Set the site\'s backup reserve (null: the default)', security: bearer, params: SiteParams, body: ReserveBody, response: { 200: ReserveResult, ...errors(400, 401, 403, 503) } },
  }, async (req, reply) => send(reply, await svc.setReserve(principal(req), req.params.siteId, req.body.reservePct)));
  return app;
};
