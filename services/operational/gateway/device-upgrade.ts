/**
 * The device WebSocket's upgrade on fastify's server (`ws` in noServer mode, see
 * docs/http.md for why not @fastify/websocket). Hardened: any target (`//`, `%ZZ`, absolute-form,
 * `*`), method, header or socket error is answered with a status and the project's error body, or
 * the socket is dropped; nothing here can throw out of the 'upgrade' listener and end the process
 * (issue 16: `GET //` with an Upgrade header did, disconnecting every device of the gateway).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../../platform/logger.ts';
import { presentedCertificate, type PresentedCertificate } from './client-certificate.ts';
import type { DeviceAuth } from './gateway-http.ts';
import type { DeviceInfo } from './device-directory.ts';
import type { Rejection } from '../../platform/device-protocol.ts';
import { redactUrl } from '../../platform/redact.ts';

export const DEVICE_SOCKET_PATH = '/v1/device/connect';

const REASONS: Readonly<Record<number, string>> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 429: 'Too Many Requests', 500: 'Internal Server Error' };

function dropOnError(this: Duplex): void {
  this.destroy();
}

const refuse = (socket: Duplex, status: number, code: string, message: string): void => {
  const body = JSON.stringify({ code, message });
  socket.end(`HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
};

/** The path and ?token= of an upgrade target, or null when it is not an origin-form path we can read. */
export const upgradeTarget = (raw: string | undefined): { path: string; token: string | undefined } | null => {
  if (raw === undefined || !raw.startsWith('/') || raw.startsWith('//')) return null;
  const q = raw.indexOf('?');
  const path = q === -1 ? raw : raw.slice(0, q);
  if (q === -1) return { path, token: undefined };
  try {
    return { path, token: new URLSearchParams(raw.slice(q + 1)).get('token') ?? undefined };
  } catch {
    return null;
  }
};

export const attachDeviceUpgrade = (deps: {
  server: Server;
  wss: WebSocketServer;
  logger: Logger;
  authenticate: (authorization: string | undefined, token: string | undefined, cert: PresentedCertificate | null) => Promise<DeviceAuth>;
  countReject: (code: string) => void;
  /** A refusal when the device may not open another socket now (its connection cap). */
  admitSocket: (device: DeviceInfo) => Rejection | null;
  onDevice: (ws: WebSocket, device: DeviceInfo, iat: number) => void;
}): void => {
  const upgrade = async (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    const target = upgradeTarget(req.url);
    if (target === null) return refuse(socket, 400, 'BAD_URL', 'the upgrade target must be /v1/device/connect');
    if (target.path !== DEVICE_SOCKET_PATH) return refuse(socket, 404, 'NOT_FOUND', `no WebSocket at ${target.path.slice(0, 200)}`);
    if (req.method !== 'GET') return refuse(socket, 405, 'METHOD_NOT_ALLOWED', 'a WebSocket opens with GET');
    const auth = await deps.authenticate(req.headers.authorization, target.token, presentedCertificate(req.socket));
    if (!auth.ok) {
      deps.countReject(auth.rejection.code);
      return refuse(socket, auth.status, auth.rejection.code, auth.rejection.message);
    }
    if (socket.destroyed) return;
    const capped = deps.admitSocket(auth.device);
    if (capped !== null) {
      deps.countReject(capped.code);
      return refuse(socket, 429, capped.code, capped.message);
    }
    // ws answers a bad Sec-WebSocket-Key or version with 400 itself.
    deps.wss.handleUpgrade(req, socket, head, (ws) => {
      // From here ws owns the socket and its errors; no closure of ours stays per connection.
      socket.off('error', dropOnError);
      deps.onDevice(ws, auth.device, auth.iat);
    });
  };
  deps.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // A reset while we answer must not become an unhandled 'error' event.
    socket.on('error', dropOnError);
    const failed = (e: unknown): void => {
      // The target may carry ?token=: credentials never reach the logs.
      deps.logger.error('upgrade failed', { url: redactUrl(req.url ?? '').slice(0, 200), error: e instanceof Error ? e.message : String(e) });
      if (socket.writable) refuse(socket, 500, 'INTERNAL', 'internal error');
      else socket.destroy();
    };
    try {
      upgrade(req, socket, head).catch(failed);
    } catch (e) {
      failed(e);
    }
  });
};
