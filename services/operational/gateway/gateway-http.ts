/**
 * The gateway's HTTP routes on fastify (docs/openapi/gateway.json): the device poll API
 * (credential in Authorization or ?token=), the operator's provisioning API (OPERATOR_TOKEN),
 * /healthz and /metrics. The WebSocket upgrade is device-upgrade.ts, on the same server.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { Type } from 'typebox';
import { sameSecret } from '../../platform/http.ts';
import type { TlsFiles } from '../../platform/listener-config.ts';
import { createHttpApp, errors, sendProblem, type HttpApp } from '../../platform/http-server.ts';
import type { Logger } from '../../platform/logger.ts';
import type { GatewayFrame, Rejection } from '../../platform/device-protocol.ts';
import { presentedCertificate, type PresentedCertificate } from './client-certificate.ts';
import type { DeviceInfo } from './device-directory.ts';
import { MAX_PROVISION_BYTES, type createOperatorApi } from './operator-api.ts';
import type { PollAnswer } from './delivery-state.ts';

export const MAX_POLL_FRAMES = 500;

export type DeviceAuth = { ok: true; device: DeviceInfo; iat: number } | { ok: false; status: number; rejection: Rejection };

export interface GatewayHttpDeps {
  readonly logger: Logger;
  readonly registry: Registry;
  readonly operatorToken: string;
  /** HTTPS and WSS with these files; absent or null: plain HTTP and WS. */
  readonly tls?: TlsFiles | null;
  readonly maxFrameBytes: number;
  readonly operator: ReturnType<typeof createOperatorApi>;
  readonly health: () => Record<string, unknown>;
  /** Checks a device credential (header or ?token=) and the client certificate, if any, against the directory. */
  readonly authenticate: (authorization: string | undefined, token: string | undefined, cert: PresentedCertificate | null) => Promise<DeviceAuth>;
  readonly countReject: (code: string) => void;
  readonly poll: (device: DeviceInfo, ifNoneMatch: string | undefined) => { kind: 'not-modified'; etag: string } | { kind: 'answer'; answer: PollAnswer };
  /** Null when the gateway applies backpressure (503). */
  readonly frames: (device: DeviceInfo, values: readonly unknown[]) => Promise<ReadonlyArray<GatewayFrame | { type: 'ok' }>> | null;
}

const AnyObject = Type.Object({}, { additionalProperties: true });
const Token = Type.Object({ token: Type.Optional(Type.String({ maxLength: 4096, description: 'the device credential, for clients that cannot set headers' })) });
const DeviceParams = Type.Object({ deviceId: Type.String({ minLength: 1, maxLength: 200 }) });
const deviceSecurity = [{ device: [] }];
const operatorSecurity = [{ operator: [] }];

export const createGatewayHttp = async (deps: GatewayHttpDeps): Promise<HttpApp> => {
  const app = await createHttpApp({
    title: 'gridfleet gateway', description: 'Device poll API and the operator\'s provisioning API (docs/device-protocol.md); devices that push use the WebSocket at /v1/device/connect (docs/openapi/device-websocket.json).',
    logger: deps.logger, bodyLimit: deps.maxFrameBytes * MAX_POLL_FRAMES, metrics: deps.registry, tls: deps.tls ?? null,
    securitySchemes: {
      device: { type: 'http', scheme: 'bearer', description: 'the device credential issued by POST /v1/provision' },
      operator: { type: 'http', scheme: 'bearer', description: 'OPERATOR_TOKEN' },
    },
  });

  // onRequest: before the body is read, so a stranger cannot make the gateway parse 2 MB.
  const device = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const token = (req.query as Record<string, unknown>)['token'];
    const auth = await deps.authenticate(req.headers.authorization, typeof token === 'string' ? token : undefined, presentedCertificate(req.raw.socket));
    if (!auth.ok) {
      deps.countReject(auth.rejection.code);
      return void sendProblem(reply, auth.status, auth.rejection.code, auth.rejection.message);
    }
    req.device = auth.device;
  };
  const operator = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!sameSecret(/^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1], deps.operatorToken)) {
      return void sendProblem(reply, 401, 'UNAUTHENTICATED', 'operator API: send Authorization: Bearer <operator token>');
    }
  };
  const deviceOf = (req: FastifyRequest): DeviceInfo => {
    if (req.device === undefined) throw new Error('device route without its guard');
    return req.device;
  };

  app.get('/healthz', { schema: { response: { 200: AnyObject } } }, () => deps.health());

  app.get('/v1/device/inputs', {
    onRequest: device,
    schema: {
      summary: 'The site\'s live commands and newest forecast bundle (ETag: answer 304 when unchanged)', security: deviceSecurity, querystring: Token,
      headers: Type.Object({ 'if-none-match': Type.Optional(Type.String({ maxLength: 1024 })) }),
      response: { 200: Type.Object({ commands: Type.Array(AnyObject), forecast: Type.Union([AnyObject, Type.Null()]) }), 304: Type.Null({ description: 'unchanged since the ETag in If-None-Match (no body)' }), ...errors(400, 401, 403, 404) },
    },
  }, async (req, reply) => {
    const r = deps.poll(deviceOf(req), req.headers['if-none-match']);
    if (r.kind === 'not-modified') return reply.code(304).header('etag', r.etag).send(null);
    return reply.header('etag', r.answer.etag).send(r.answer.body);
  });

  app.post('/v1/device/frames', {
    onRequest: device,
    schema: {
      summary: 'Telemetry, acks and pings in one batch; one result per frame, in order', security: deviceSecurity, querystring: Token,
      body: Type.Array(Type.Unknown(), { maxItems: MAX_POLL_FRAMES, description: 'device frames (docs/openapi/device-websocket.json#/components/schemas/DeviceFrame); each is validated on its own' }),
      response: { 200: Type.Object({ results: Type.Array(AnyObject) }), ...errors(400, 401, 403, 404, 413, 415, 503) },
    },
  }, async (req, reply) => {
    const pending = deps.frames(deviceOf(req), req.body);
    if (pending === null) return sendProblem(reply, 503, 'UNAVAILABLE', 'the gateway is applying backpressure; resend later');
    return reply.send({ results: [...(await pending)] });
  });

  app.post('/v1/device/token', {
    onRequest: device,
    schema: {
      summary: 'A fresh credential for the calling device (new expiry, the current signing key): devices renew before theirs expires', security: deviceSecurity, querystring: Token,
      response: { 200: Type.Object({ token: Type.String(), expiresAtMs: Type.Number() }), ...errors(401, 403, 404) },
    },
  }, async (req, reply) => reply.send(await deps.operator.reissue(deviceOf(req))));

  const failure = (reply: FastifyReply, e: { status: number; code: string; message: string }): FastifyReply => sendProblem(reply, e.status, e.code, e.message);

  app.post('/v1/provision', {
    onRequest: operator, bodyLimit: MAX_PROVISION_BYTES,
    schema: {
      summary: 'Register assets (asset.registry.v1) and receive each device\'s credential', security: operatorSecurity,
      body: Type.Object({ assets: Type.Array(Type.Object({ assetId: Type.String({ minLength: 1 }), kind: Type.String() }, { additionalProperties: true }), { minItems: 1 }) }),
      response: {
        200: Type.Object({ published: Type.Integer(), devices: Type.Array(Type.Object({ deviceId: Type.String(), siteId: Type.String(), token: Type.String() })) }),
        ...errors(400, 401, 413, 415, 503),
      },
    },
  }, async (req, reply) => {
    const r = await deps.operator.provision(req.body.assets);
    return r.ok ? reply.send(r.value) : failure(reply, r.error);
  });
  app.post('/v1/devices/:deviceId/revoke', {
    onRequest: operator,
    schema: {
      summary: 'Revoke every credential of the device issued until now, on every gateway', security: operatorSecurity, params: DeviceParams,
      response: { 200: Type.Object({ deviceId: Type.String(), credentialsRevokedBeforeMs: Type.Number() }), ...errors(401, 404, 503) },
    },
  }, async (req, reply) => {
    const r = await deps.operator.revoke(req.params.deviceId);
    return r.ok ? reply.send(r.value) : failure(reply, r.error);
  });
  app.get('/v1/devices/:deviceId', {
    onRequest: operator,
    schema: {
      summary: 'A registered device and its limits', security: operatorSecurity, params: DeviceParams,
      response: {
        200: Type.Object({ deviceId: Type.String(), siteId: Type.String(), maxChargeKw: Type.Number(), maxDischargeKw: Type.Number(), solarKwp: Type.Number(), revokedBeforeMs: Type.Union([Type.Number(), Type.Null()]) }),
        ...errors(401, 404),
      },
    },
  }, async (req, reply) => {
    const r = deps.operator.device(req.params.deviceId);
    return r.ok ? reply.send(r.value) : failure(reply, r.error);
  });
  return app;
};

declare module 'fastify' {
  interface FastifyRequest { device?: DeviceInfo }
}
