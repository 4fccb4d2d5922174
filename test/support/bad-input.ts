/**
 * Requests built to crash an HTTP service (issue 16: `GET // HTTP/1.1` ended control, the same
 * with an Upgrade header ended the gateway): broken request lines and targets, headers, bodies
 * and WebSocket upgrades, written as raw bytes on a socket because fetch refuses to send most of
 * them. `sendRaw` answers the status line's code, or null when the server closed without one.
 */
import { connect } from 'node:net';

export interface RawRequest {
  readonly name: string;
  /** Bytes written in order; a function gets the socket to misbehave (stop half-way). */
  readonly chunks: ReadonlyArray<string | Buffer>;
  /** Close our side after writing (a body shorter than its Content-Length). */
  readonly endAfter?: boolean;
}

export interface ServiceTargets {
  /** A route that takes a JSON body (POST). */
  readonly postPath: string;
  /** A route with a path parameter (GET), written with `{p}` where the parameter goes. */
  readonly paramPath: string;
  /** A WebSocket route, when the service has one. */
  readonly wsPath?: string;
  /** Sent on every request as Authorization, so the body reaches the parser. */
  readonly authorization?: string;
}

const head = (line: string, headers: readonly string[] = []): string => `${line}\r\nHost: 127.0.0.1\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`;
const upgrade = ['Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='];

export const badRequests = (t: ServiceTargets): RawRequest[] => {
  const auth = t.authorization === undefined ? [] : [`Authorization: ${t.authorization}`];
  const param = (p: string): string => t.paramPath.replace('{p}', p);
  const post = (body: string | Buffer, headers: readonly string[] = ['Content-Type: application/json']): RawRequest => ({
    name: '', chunks: [head(`POST ${t.postPath} HTTP/1.1`, [...auth, ...headers, `Content-Length: ${Buffer.byteLength(body)}`]), body],
  });
  const named = (name: string, r: RawRequest): RawRequest => ({ ...r, name });
  const deep = '['.repeat(30_000) + ']'.repeat(30_000);
  const list: RawRequest[] = [
    { name: 'GET //', chunks: [head('GET // HTTP/1.1')] },
    { name: 'GET //x//', chunks: [head('GET //x// HTTP/1.1')] },
    { name: 'GET /%ZZ', chunks: [head('GET /%ZZ HTTP/1.1')] },
    { name: 'GET param %ZZ', chunks: [head(`GET ${param('%ZZ')} HTTP/1.1`, auth)] },
    { name: 'GET param broken UTF-8 escape', chunks: [head(`GET ${param('%E0%A4%A')} HTTP/1.1`, auth)] },
    { name: 'GET param 100 KB', chunks: [head(`GET ${param('a'.repeat(100_000))} HTTP/1.1`, auth)] },
    { name: 'GET absolute-form', chunks: [head('GET http://evil.example/healthz HTTP/1.1')] },
    { name: 'GET absolute-form without path', chunks: [head('GET http://evil.example HTTP/1.1')] },
    { name: 'OPTIONS *', chunks: [head('OPTIONS * HTTP/1.1')] },
    { name: 'GET *', chunks: [head('GET * HTTP/1.1')] },
    { name: 'GET with a query of broken escapes', chunks: [head(`GET ${param('x')}?%ZZ=%ZZ&a=%&b HTTP/1.1`, auth)] },
    { name: 'garbage request line', chunks: ['GARBAGE\r\n\r\n'] },
    { name: 'unknown HTTP version', chunks: [head('GET / HTTP/9.9')] },
    { name: 'header without a colon', chunks: [head('GET /healthz HTTP/1.1', ['NoColonHere'])] },
    { name: 'header with a NUL byte', chunks: [head('GET /healthz HTTP/1.1', ['X-A: a\u0000b'])] },
    { name: '100 KB header', chunks: [head('GET /healthz HTTP/1.1', [`X-Big: ${'a'.repeat(100_000)}`])] },
    { name: 'Authorization of 50 KB', chunks: [head(`GET ${param('x')} HTTP/1.1`, [`Authorization: Bearer ${'a'.repeat(50_000)}`])] },
    { name: 'two Content-Length headers', chunks: [head(`POST ${t.postPath} HTTP/1.1`, [...auth, 'Content-Type: application/json', 'Content-Length: 2', 'Content-Length: 3']), '{}x'] },
    { name: 'Content-Length and chunked', chunks: [head(`POST ${t.postPath} HTTP/1.1`, [...auth, 'Content-Type: application/json', 'Content-Length: 2', 'Transfer-Encoding: chunked']), '0\r\n\r\n'] },
    { name: 'broken chunk size', chunks: [head(`POST ${t.postPath} HTTP/1.1`, [...auth, 'Content-Type: application/json', 'Transfer-Encoding: chunked']), 'zz\r\n{}\r\n0\r\n\r\n'] },
    named('body not JSON', post('{"kind": ')),
    named('body JSON of the wrong type', post('"just a string"')),
    named('body with __proto__', post('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}}')),
    named('body nested 30,000 deep', post(deep)),
    named('body of 8 MB', post(`[${'1,'.repeat(4_000_000)}1]`)),
    named('body of invalid UTF-8', post(Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]))),
    named('body as text/plain', post('{}', ['Content-Type: text/plain'])),
    named('body with a broken content type', post('{}', ['Content-Type: ;;;/=='])),
    { name: 'Content-Length larger than the body', chunks: [head(`POST ${t.postPath} HTTP/1.1`, [...auth, 'Content-Type: application/json', 'Content-Length: 1000']), '{"a":1}'], endAfter: true },
    { name: 'Content-Length smaller than the body', chunks: [head(`POST ${t.postPath} HTTP/1.1`, [...auth, 'Content-Type: application/json', 'Content-Length: 3']), '{"a": 1, "b": 2}'] },
    { name: 'Content-Length of 10 GB', chunks: [head(`POST ${t.postPath} HTTP/1.1`, [...auth, 'Content-Type: application/json', 'Content-Length: 10000000000']), '{'], endAfter: true },
    { name: 'Content-Length negative', chunks: [head(`POST ${t.postPath} HTTP/1.1`, [...auth, 'Content-Type: application/json', 'Content-Length: -1']), '{}'] },
    { name: 'upgrade on //', chunks: [head('GET // HTTP/1.1', upgrade)] },
    { name: 'upgrade on /%ZZ', chunks: [head('GET /%ZZ HTTP/1.1', upgrade)] },
    { name: 'upgrade on absolute-form', chunks: [head('GET http://evil.example/ HTTP/1.1', upgrade)] },
    { name: 'upgrade on *', chunks: [head('GET * HTTP/1.1', upgrade)] },
    { name: 'upgrade to h2c', chunks: [head('GET / HTTP/1.1', ['Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA'])] },
    { name: 'upgrade then garbage', chunks: [head('GET / HTTP/1.1', upgrade), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x01])] },
  ];
  if (t.wsPath !== undefined) {
    const ws = t.wsPath;
    list.push(
      { name: 'upgrade without a key', chunks: [head(`GET ${ws} HTTP/1.1`, [...auth, 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13'])] },
      { name: 'upgrade of version 99', chunks: [head(`GET ${ws} HTTP/1.1`, [...auth, 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 99', 'Sec-WebSocket-Key: x'])] },
      { name: 'upgrade with a broken query', chunks: [head(`GET ${ws}?token=%ZZ&x=% HTTP/1.1`, upgrade)] },
      { name: 'upgrade with a POST', chunks: [head(`POST ${ws} HTTP/1.1`, [...auth, ...upgrade, 'Content-Length: 2']), '{}'] },
    );
  }
  return list;
};

/**
 * Writes the request and waits for a status line, the server closing, or `waitMs`; destroys the
 * socket afterwards. Null means no status line (closed, reset, or nothing within waitMs).
 */
export const sendRaw = (port: number, req: RawRequest, waitMs = 3_000): Promise<number | null> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let seen = '';
    let done = false;
    const finish = (status: number | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(status);
    };
    const timer = setTimeout(() => finish(null), waitMs);
    socket.on('data', (b: Buffer) => {
      seen += b.toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(seen);
      if (m !== null) finish(Number(m[1]));
    });
    socket.on('error', () => finish(null));
    socket.on('close', () => finish(null));
    socket.on('connect', () => {
      for (const c of req.chunks) socket.write(c);
      if (req.endAfter === true) socket.end();
    });
  });
