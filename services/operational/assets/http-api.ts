/**
 * The read API (HTTP): GET /v1/assets/{id}, /v1/assets/{id}/children, /v1/assets/{id}/subtree
 * (?depth=, default 6; at most 20000 nodes), /metrics and /healthz. Answers from the instance's
 * read model, so every instance answers for every asset.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { ReadModel } from './read-model.ts';

const MAX_NODES = 20_000;

const send = (res: ServerResponse, status: number, body: unknown): void => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

export interface ReadApiDeps {
  readonly model: ReadModel;
  readonly registry: Registry;
  /** Health: ready once the registry and the read model caught up; details are shown. */
  readonly health: () => { ready: boolean; details: Record<string, unknown> };
}

export const handleRead = async (deps: ReadApiDeps, req: IncomingMessage, res: ServerResponse): Promise<void> => {
  const url = new URL(req.url ?? '/', 'http://assets');
  if (req.method !== 'GET') return send(res, 405, { code: 'METHOD_NOT_ALLOWED', message: 'the read API only answers GET' });
  if (url.pathname === '/healthz') {
    const h = deps.health();
    return send(res, h.ready ? 200 : 503, { status: h.ready ? 'ok' : 'starting', ...h.details });
  }
  if (url.pathname === '/metrics') {
    const text = await deps.registry.metrics();
    res.writeHead(200, { 'content-type': deps.registry.contentType });
    res.end(text);
    return;
  }
  const m = /^\/v1\/assets\/([^/]+)(\/children|\/subtree)?$/.exec(url.pathname);
  if (m === null) return send(res, 404, { code: 'NOT_FOUND', message: `no route ${url.pathname}` });
  const id = decodeURIComponent(m[1] ?? '');
  const notFound = (): void => send(res, 404, { code: 'UNKNOWN_ASSET', message: `asset ${id} is not known` });
  if (m[2] === undefined) {
    const v = deps.model.view(id);
    return v === null ? notFound() : send(res, 200, v);
  }
  if (m[2] === '/children') {
    const c = deps.model.children(id);
    return c === null ? notFound() : send(res, 200, { assetId: id, children: c });
  }
  const depthRaw = url.searchParams.get('depth') ?? '6';
  const depth = Number(depthRaw);
  if (!Number.isInteger(depth) || depth < 0 || depth > 10) return send(res, 400, { code: 'BAD_REQUEST', message: `depth=${depthRaw} must be an integer from 0 to 10` });
  const t = deps.model.subtree(id, depth, MAX_NODES);
  return t === null ? notFound() : send(res, 200, { ...t.root, truncated: t.truncated });
};

export const serveReadApi = (deps: ReadApiDeps, port: number, host = '127.0.0.1'): Promise<{ server: Server; port: number }> =>
  new Promise((resolve, reject) => {
    const server = createServer((req, res) => {
      handleRead(deps, req, res).catch((e: unknown) => send(res, 500, { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) }));
    });
    server.once('error', reject);
    server.listen(port, host, () => {
      const addr = server.address();
      resolve({ server, port: typeof addr === 'object' && addr !== null ? addr.port : port });
    });
  });
