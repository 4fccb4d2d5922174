/**
 * The read API (HTTP, docs/openapi/assets.json): GET /v1/assets/{id}, /v1/assets/{id}/children,
 * /v1/assets/{id}/subtree (?depth=, default 6; at most 20000 nodes), /metrics and /healthz.
 * Answers from the instance's read model, so every instance answers for every asset.
 *
 * Every /v1 read needs a bearer token (ASSETS_TOKENS): a site's state and load tell when a
 * household is home. Operators and viewers read everything; a customer reads only its own site
 * and that site's devices, and a refusal does not say whether the asset exists.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { Type } from 'typebox';
import { authenticate, type Principal, type TokenEntry } from '../../platform/access-tokens.ts';
import type { TlsFiles } from '../../platform/listener-config.ts';
import { createHttpApp, errors, listen, sendProblem, type HttpApp } from '../../platform/http-server.ts';
import type { Logger } from '../../platform/logger.ts';
import type { ReadModel } from './read-model.ts';

const MAX_NODES = 20_000;

export interface ReadApiDeps {
  readonly model: ReadModel;
  readonly registry: Registry;
  readonly tokens: readonly TokenEntry[];
  readonly logger: Logger;
  /** Health: ready once the registry and the read model caught up; details are shown. */
  readonly health: () => { ready: boolean; details: Record<string, unknown> };
  /** HTTPS with these files; absent or null: plain HTTP. */
  readonly tls?: TlsFiles | null;
}

declare module 'fastify' {
  interface FastifyRequest { reader?: Principal }
}

const AssetParams = Type.Object({ assetId: Type.String({ minLength: 1, maxLength: 200 }) });
const View = Type.Object({ assetId: Type.String(), kind: Type.Union([Type.String(), Type.Null()]), parentId: Type.Union([Type.String(), Type.Null()]) }, { additionalProperties: true });
const security = [{ bearer: [] }];

/** Whether the principal may read the asset: a customer its site and the site's devices only. */
export const mayRead = (who: Principal, model: ReadModel, assetId: string): boolean => {
  if (who.role !== 'customer') return true;
  if (who.siteId === null) return false;
  return assetId === who.siteId || model.view(assetId)?.parentId === who.siteId;
};

export const createReadApi = async (deps: ReadApiDeps): Promise<HttpApp> => {
  const { model } = deps;
  const app = await createHttpApp({
    title: 'gridfleet assets read API', description: 'The asset hierarchy with live state and aggregates (docs/assets.md).',
    logger: deps.logger, metrics: deps.registry, tls: deps.tls ?? null, bearer: 'operator, viewer or customer token (ASSETS_TOKENS)', bodyLimit: 1024,
    logFields: (req) => ({ who: req.reader?.name ?? null }),
  });
  const guard = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const who = authenticate(deps.tokens, req.headers.authorization);
    if (who === null) return void sendProblem(reply, 401, 'UNAUTHENTICATED', 'send Authorization: Bearer <token>');
    req.reader = who;
    const id = (req.params as { assetId?: unknown }).assetId;
    if (typeof id === 'string' && !mayRead(who, model, id)) return void sendProblem(reply, 403, 'FORBIDDEN', `this token reads ${who.siteId ?? 'no site'} only`);
  };
  const unknown = (reply: FastifyReply, id: string): FastifyReply => sendProblem(reply, 404, 'UNKNOWN_ASSET', `asset ${id} is not known`);

  app.get('/healthz', { schema: { response: { 200: Type.Object({ status: Type.String() }, { additionalProperties: true }), 503: Type.Object({ status: Type.String() }, { additionalProperties: true }) } } }, async (_req, reply) => {
    const h = deps.health();
    return reply.code(h.ready ? 200 : 503).send({ status: h.ready ? 'ok' : 'starting', ...h.details });
  });
  app.get('/v1/assets/:assetId', {
    preHandler: guard, schema: { summary: 'An asset with its state and aggregate', security, params: AssetParams, response: { 200: View, ...errors(400, 401, 403, 404) } },
  }, async (req, reply) => {
    const v = model.view(req.params.assetId);
    return v === null ? unknown(reply, req.params.assetId) : reply.send(v);
  });
  app.get('/v1/assets/:assetId/children', {
    preHandler: guard,
    schema: { summary: 'The asset\'s children (with or without a state yet)', security, params: AssetParams, response: { 200: Type.Object({ assetId: Type.String(), children: Type.Array(View) }), ...errors(400, 401, 403, 404) } },
  }, async (req, reply) => {
    const c = model.children(req.params.assetId);
    return c === null ? unknown(reply, req.params.assetId) : reply.send({ assetId: req.params.assetId, children: c });
  });
  app.get('/v1/assets/:assetId/subtree', {
    preHandler: guard,
    schema: {
      summary: `The subtree down to depth levels, at most ${MAX_NODES} nodes (truncated says it was cut)`, security, params: AssetParams,
      querystring: Type.Object({ depth: Type.Optional(Type.String({ pattern: '^(10|[0-9])$', description: 'levels below the asset, 0 to 10 (default 6)' })) }),
      response: { 200: Type.Object({ assetId: Type.String(), truncated: Type.Boolean() }, { additionalProperties: true }), ...errors(400, 401, 403, 404) },
    },
  }, async (req, reply) => {
    const t = model.subtree(req.params.assetId, Number(req.query.depth ?? '6'), MAX_NODES);
    return t === null ? unknown(reply, req.params.assetId) : reply.send({ ...t.root, truncated: t.truncated });
  });
  return app;
};

export const serveReadApi = async (deps: ReadApiDeps, port: number, host = '127.0.0.1'): Promise<{ app: HttpApp; port: number; close: () => Promise<void> }> => {
  const app = await createReadApi(deps);
  const bound = await listen(app, port, host);
  return { app, port: bound.port, close: () => app.close() };
};
