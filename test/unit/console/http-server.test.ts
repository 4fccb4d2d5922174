/**
 * The console's API against a stand-in control on localhost (no stack needed): sign-in learns the
 * role from control's answers, bad input gets a clear error, roles are refused before control is
 * asked, and what is allowed reaches control with the user's own token.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Analytics } from '../../../services/console/analytics.ts';
import { parseConsoleConfig } from '../../../services/console/config.ts';
import { createConsoleApp } from '../../../services/console/http-server.ts';
import { listen as listenApp, type HttpApp } from '../../../services/platform/http-server.ts';
import { createLiveFeed } from '../../../services/console/live-feed.ts';
import { createSessions } from '../../../services/console/sessions.ts';
import { createSignInThrottle, DEFAULT_THROTTLE } from '../../../services/console/sign-in-throttle.ts';
import { createLogger } from '../../../services/platform/logger.ts';

const TOKENS: Record<string, 'operator' | 'viewer' | 'customer'> = { 'op-token-1': 'operator', 'viewer-token-1': 'viewer', 'cust-token-1': 'customer' };

const listen = async (s: Server): Promise<string> => {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
};

describe('console API', () => {
  const seen: Array<{ method: string; path: string; auth: string | undefined; key: string | undefined }> = [];
  let control: Server;
  let consoleApp: HttpApp;
  let base: string;
  let feedClose: () => void;

  beforeAll(async () => {
    control = createServer((req: IncomingMessage, res) => {
      const path = req.url ?? '';
      seen.push({ method: req.method ?? '', path, auth: req.headers.authorization, key: req.headers['idempotency-key'] as string | undefined });
      const role = TOKENS[(req.headers.authorization ?? '').replace('Bearer ', '')];
      const send = (status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (role === undefined) return send(401, { code: 'UNAUTHENTICATED', message: 'no' });
      if (path === '/v1/events' && req.method === 'GET') return role === 'customer' ? send(403, { code: 'FORBIDDEN', message: 'customers see their site' }) : send(200, { events: [] });
      if (path.endsWith('/cancel')) return role === 'operator' ? send(404, { code: 'UNKNOWN_EVENT', message: 'no event' }) : send(403, { code: 'FORBIDDEN', message: 'no' });
      if (path === '/v1/sites/site-1') return role === 'customer' ? send(200, { siteId: 'site-1' }) : send(403, { code: 'FORBIDDEN', message: 'no' });
      if (path === '/v1/sites/site-2') return send(403, { code: 'FORBIDDEN', message: 'no' });
      if (path === '/v1/events' && req.method === 'POST') return send(201, { event: { eventId: 'evt-1' }, sites: 3, allocatedKw: 9 });
      return send(404, { code: 'NOT_FOUND', message: path });
    });
    const controlUrl = await listen(control);
    const config = parseConsoleConfig({ CONSOLE_PORT: '0', CONSOLE_CONTROL_URL: controlUrl, CONSOLE_POLL_MS: '60000', CONSOLE_UPSTREAM_TIMEOUT_MS: '1000' });
    const analytics: Analytics = { forecast: (scope) => Promise.resolve({ state: 'empty', scope, message: 'none' }), state: () => ({ state: 'unknown' }) };
    const feed = createLiveFeed({ config, now: () => Date.now(), realNow: () => Date.now(), locations: () => new Map(), analytics: () => analytics.state() });
    feedClose = () => feed.close();
    let n = 0;
    consoleApp = await createConsoleApp({
      config, feed, analytics, logger: createLogger('silent'),
      sessions: createSessions({ newId: () => `session-${++n}`, now: () => Date.now() }),
      page: { html: '<html></html>', js: '', css: '' }, signIns: createSignInThrottle(), now: () => Date.now(),
    });
    base = (await listenApp(consoleApp, 0)).url;
  });

  afterAll(async () => {
    feedClose();
    await consoleApp.close();
    await new Promise((r) => control.close(r));
  });

  const call = async (method: string, path: string, body?: unknown, cookie?: string): Promise<{ status: number; body: Record<string, unknown>; cookie: string | null }> => {
    const headers: Record<string, string> = {};
    if (cookie !== undefined) headers['cookie'] = cookie;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, cookie: res.headers.get('set-cookie')?.split(';')[0] ?? null };
  };
  const signIn = async (token: string, siteId = ''): Promise<string> => {
    const r = await call('POST', '/api/session', { token, siteId });
    if (r.status !== 200 || r.cookie === null) throw new Error(`sign-in failed: ${JSON.stringify(r.body)}`);
    return r.cookie;
  };

  it('bad sign-in input is a clear 400 and never reaches control', async () => {
    const before = seen.length;
    expect(await call('POST', '/api/session', { token: 'short' })).toMatchObject({ status: 400, body: { code: 'INVALID_SIGN_IN' } });
    expect(await call('POST', '/api/session', '{not json')).toMatchObject({ status: 400, body: { code: 'MALFORMED' } });
    expect((await call('POST', '/api/session', '{not json')).body['message']).toMatch(/^body is not JSON/);
    expect(seen.length).toBe(before);
  });

  it('unknown tokens are 401; a customer must name their site, and only their own', async () => {
    expect(await call('POST', '/api/session', { token: 'nobody-token' })).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
    expect((await call('POST', '/api/session', { token: 'cust-token-1' })).body['message']).toContain('enter your site id');
    expect(await call('POST', '/api/session', { token: 'cust-token-1', siteId: 'site-2' })).toMatchObject({ status: 403, body: { message: 'this token does not control site-2' } });
    expect(await call('POST', '/api/session', { token: 'cust-token-1', siteId: 'site-1' })).toMatchObject({ status: 200, body: { role: 'customer', siteId: 'site-1' } });
  });

  it('the role comes from control, and the session remembers it', async () => {
    const op = await signIn('op-token-1');
    expect(await call('GET', '/api/session', undefined, op)).toMatchObject({ status: 200, body: { role: 'operator', capabilities: { dispatch: true } } });
    const viewer = await signIn('viewer-token-1');
    expect(await call('GET', '/api/session', undefined, viewer)).toMatchObject({ body: { role: 'viewer', capabilities: { dispatch: false } } });
    expect(await call('GET', '/api/session')).toMatchObject({ status: 401 });
    expect(await call('GET', '/api/stream')).toMatchObject({ status: 401 });
    // Signing out ends the session: its cookie no longer works.
    expect(await call('DELETE', '/api/session', undefined, viewer)).toMatchObject({ status: 200, body: { signedOut: true } });
    expect(await call('GET', '/api/session', undefined, viewer)).toMatchObject({ status: 401 });
  });

  it('a viewer\'s dispatch is refused by the console before control is asked', async () => {
    const viewer = await signIn('viewer-token-1');
    const before = seen.filter((s) => s.method === 'POST' && s.path === '/v1/events').length;
    expect(await call('POST', '/api/events', { kind: 'VPP_DISPATCH' }, viewer)).toMatchObject({ status: 403, body: { code: 'FORBIDDEN', message: 'a viewer may not create or cancel grid events' } });
    expect(await call('POST', '/api/events/evt-1/cancel', {}, viewer)).toMatchObject({ status: 403 });
    expect(seen.filter((s) => s.method === 'POST' && s.path === '/v1/events').length).toBe(before);
  });

  it('an operator\'s dispatch reaches control with the operator\'s own token, and the answer comes back as it was', async () => {
    const op = await signIn('op-token-1');
    expect(await call('POST', '/api/events', { kind: 'VPP_DISPATCH', scopeAssetId: 'f', targetMw: 1, durationMin: 5 }, op)).toMatchObject({ status: 201, body: { event: { eventId: 'evt-1' }, sites: 3 } });
    expect(seen.filter((s) => s.method === 'POST' && s.path === '/v1/events').at(-1)?.auth).toBe('Bearer op-token-1');
  });

  it('a body of the wrong shape is refused by the console\'s schema before control is asked; an operator\'s Idempotency-Key reaches control', async () => {
    const op = await signIn('op-token-1');
    const posts = (): number => seen.filter((s) => s.method === 'POST' && s.path === '/v1/events').length;
    const before = posts();
    expect(await call('POST', '/api/events', { kind: 'VPP_DISPATCH', scopeAssetId: 'f', targetMw: 'lots' }, op)).toMatchObject({ status: 400, body: { code: 'INVALID_REQUEST' } });
    expect(await call('PUT', '/api/sites/site-1/reserve', { reservePct: '50' }, await signIn('cust-token-1', 'site-1'))).toMatchObject({ status: 400, body: { code: 'INVALID_REQUEST' } });
    expect(posts()).toBe(before);
    const res = await fetch(`${base}/api/events`, { method: 'POST', headers: { cookie: op, 'content-type': 'application/json', 'idempotency-key': 'k-1' }, body: JSON.stringify({ kind: 'VPP_DISPATCH', scopeAssetId: 'f', targetMw: 1, durationMin: 5 }) });
    expect(res.status).toBe(201);
    expect(seen.at(-1)).toMatchObject({ path: '/v1/events', key: 'k-1' });
  });

  it('serves its OpenAPI description, the page with its security headers, and answers with no-store', async () => {
    const spec = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/api/session', '/api/stream', '/api/events', '/api/events/{eventId}/cancel', '/api/forecast']));
    expect(Object.keys(spec.paths)).not.toContain('/app.js');
    const page = await fetch(`${base}/`, { method: 'HEAD' });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const api = await fetch(`${base}/api/session`);
    expect(api.headers.get('x-content-type-options')).toBe('nosniff');
    expect(api.headers.get('cache-control')).toBe('no-store');
  });

  it('the live stream is an event stream that says hello with the role', async () => {
    const viewer = await signIn('viewer-token-1');
    const ac = new AbortController();
    const res = await fetch(`${base}/api/stream`, { headers: { cookie: viewer }, signal: ac.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const reader = res.body?.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (reader !== undefined && !text.includes('event: hello')) {
      const chunk = (await reader.read()) as { done: boolean; value?: Uint8Array };
      if (chunk.done) break;
      text += decoder.decode(chunk.value, { stream: true });
    }
    expect(text).toContain('"role":"viewer"');
    ac.abort();
  });

  it('a broken %-escape in an event id is a 400 that never reaches control, not a 500; a real one is passed on encoded', async () => {
    const op = await signIn('op-token-1');
    const before = seen.length;
    expect(await call('POST', '/api/events/%ZZ/cancel', {}, op)).toMatchObject({ status: 400, body: { code: 'BAD_URL' } });
    expect(seen.length).toBe(before);
    expect(await call('POST', '/api/events/a%2Fb%25/cancel', {}, op)).toMatchObject({ status: 404, body: { code: 'UNKNOWN_EVENT' } });
    expect(seen.at(-1)?.path).toBe('/v1/events/a%2Fb%25/cancel');
  });

  it('customers touch only their own site; forecasts need a valid scope', async () => {
    const cust = await signIn('cust-token-1', 'site-1');
    expect(await call('PUT', '/api/sites/site-2/reserve', { reservePct: 50 }, cust)).toMatchObject({ status: 403, body: { message: 'this session controls site-1, not site-2' } });
    expect(await call('GET', '/api/forecast?scope=region-01', undefined, cust)).toMatchObject({ status: 403 });
    const op = await signIn('op-token-1');
    expect(await call('GET', '/api/forecast?scope=x%27%20OR%201', undefined, op)).toMatchObject({ status: 400, body: { code: 'INVALID_SCOPE' } });
    expect(await call('GET', '/api/forecast?scope=region-01', undefined, op)).toMatchObject({ status: 200, body: { state: 'empty' } });
  });

  it('refused sign-ins from one address make it wait (429, Retry-After) without asking control, until the minute has passed', async () => {
    let now = 1_000_000;
    const config = parseConsoleConfig({ CONSOLE_CONTROL_URL: `http://127.0.0.1:${(control.address() as AddressInfo).port}`, CONSOLE_UPSTREAM_TIMEOUT_MS: '1000' });
    const feed = createLiveFeed({ config, now: () => 0, realNow: () => 0, locations: () => new Map(), analytics: () => ({ state: 'unknown' }) });
    const app = await createConsoleApp({
      config, feed, logger: createLogger('silent'), sessions: createSessions({ newId: () => 'y', now: () => now }), page: { html: '', js: '', css: '' },
      analytics: { forecast: (scope) => Promise.resolve({ state: 'empty', scope, message: '' }), state: () => ({ state: 'unknown' }) },
      signIns: createSignInThrottle({ ...DEFAULT_THROTTLE, failures: 2 }), now: () => now,
    });
    const b = (await listenApp(app, 0)).url;
    const signInAt = (token: string, siteId = '') => fetch(`${b}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, siteId }) });
    try {
      expect((await signInAt('nobody-token')).status).toBe(401);
      expect((await signInAt('cust-token-1', 'site-2')).status).toBe(403);
      const asked = seen.length;
      const waited = await signInAt('op-token-1');
      expect(waited.status).toBe(429);
      expect(waited.headers.get('retry-after')).toBe('60');
      expect(await waited.json()).toMatchObject({ code: 'TOO_MANY_SIGN_INS' });
      expect(seen.length).toBe(asked);
      now += 60_000;
      expect((await signInAt('op-token-1')).status).toBe(200);
    } finally {
      feed.close();
      await app.close();
    }
  });

  it('control down at sign-in is a 503 that says so', async () => {
    const closed = createServer();
    const url = await listen(closed);
    await new Promise((r) => closed.close(r));
    const config = parseConsoleConfig({ CONSOLE_CONTROL_URL: url, CONSOLE_UPSTREAM_TIMEOUT_MS: '500' });
    const feed = createLiveFeed({ config, now: () => 0, realNow: () => 0, locations: () => new Map(), analytics: () => ({ state: 'unknown' }) });
    const server = await createConsoleApp({
      config, feed, logger: createLogger('silent'), sessions: createSessions({ newId: () => 'x', now: () => 0 }), page: { html: '', js: '', css: '' }, signIns: createSignInThrottle(), now: () => 0,
      analytics: { forecast: (scope) => Promise.resolve({ state: 'empty', scope, message: '' }), state: () => ({ state: 'unknown' }) },
    });
    const b = (await listenApp(server, 0)).url;
    try {
      const res = await fetch(`${b}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'op-token-1' }) });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { message: string }).message).toMatch(/^control did not answer/);
    } finally {
      feed.close();
      await server.close();
    }
  });
});
