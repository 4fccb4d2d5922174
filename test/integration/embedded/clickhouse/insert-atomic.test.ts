// Regression: a streamed insert body cut short must never become a committed insert. Before the
// body was streamed, a pipe ending early looked complete to the engine; the rows it got would be
// inserted and the retry of the same batch, carrying the same insert_deduplication_token, would
// then be dropped as a duplicate, losing the rest. Here a body cut at any point leaves no rows
// and no spent token, whatever the format, the framing (Content-Length or chunked) or encoding.
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerHandle } from './server-process.ts';

let server: ServerHandle;
const post = async (sql: string, body: Buffer | string = ''): Promise<string> => {
  const r = await fetch(`${server.url}/?query=${encodeURIComponent(sql)}`, { method: 'POST', body });
  const text = await r.text();
  if (!r.ok) throw new Error(text);
  return text;
};
const count = async (table: string): Promise<number> => Number((await post(`SELECT count() FROM ${table}`)).trim());

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  expect(await server?.stop()).toBe(0);
});

/** Sends a request by hand and breaks it after `cutAt` body bytes; resolves once the server closed or answered. */
const cutRequest = (path: string, headers: Record<string, string>, body: Buffer, cutAt: number, chunked: boolean): Promise<string> =>
  new Promise((resolve) => {
    const s = connect(server.port, '127.0.0.1');
    let answer = '';
    s.on('data', (d: Buffer) => {
      answer += d.toString();
    });
    s.on('error', () => resolve(answer));
    s.on('close', () => resolve(answer));
    const head = [`POST ${path} HTTP/1.1`, 'Host: localhost', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    head.push(chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${body.length}`);
    s.write(`${head.join('\r\n')}\r\n\r\n`);
    const part = body.subarray(0, cutAt);
    if (chunked) {
      // Whole chunks up to the cut, never the terminating zero-length chunk.
      for (let o = 0; o < part.length; o += 4096) {
        const c = part.subarray(o, o + 4096);
        s.write(`${c.length.toString(16)}\r\n`);
        s.write(c);
        s.write('\r\n');
      }
    } else {
      s.write(part);
    }
    // Let the server take in what was sent, then go away as a crashed client would.
    setTimeout(() => s.destroy(), 150);
  });

/** Waits until no insert into `table` is running any more. */
const settled = async (table: string): Promise<void> => {
  for (let i = 0; i < 100; i++) {
    const n = Number((await post(`SELECT count() FROM system.processes WHERE query LIKE '%INSERT INTO ${table}%' AND query NOT LIKE '%system.processes%'`)).trim());
    if (n === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('a streamed insert is all or nothing', () => {
  const rows = 50_000;
  const json = Buffer.from(Array.from({ length: rows }, (_, i) => `{"id":${i},"site":"site-${i % 97}","kw":${i / 10}}\n`).join(''));
  const cuts = (n: number): number[] => [1, Math.floor(n * 0.01), Math.floor(n / 3), Math.floor(n / 2), n - 100, n - 1];

  it('leaves no rows and no spent deduplication token when the body is cut at any point', async () => {
    const table = `atomic_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    await post(`CREATE TABLE ${table} (id UInt64, site String, kw Float64) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100`);
    const token = `batch-${randomUUID()}`;
    // max_insert_block_size=1000 asks for 50 blocks: the server must still commit once, at the end.
    const path = `/?query=${encodeURIComponent(`INSERT INTO ${table} FORMAT JSONEachRow`)}&insert_deduplication_token=${token}&max_insert_block_size=1000`;
    const gz = gzipSync(json);
    const cases: Array<{ name: string; body: Buffer; headers: Record<string, string>; chunked: boolean }> = [
      { name: 'Content-Length', body: json, headers: {}, chunked: false },
      { name: 'chunked', body: json, headers: {}, chunked: true },
      { name: 'gzip', body: gz, headers: { 'Content-Encoding': 'gzip' }, chunked: false },
    ];
    for (const c of cases) {
      for (const at of cuts(c.body.length)) {
        const answer = await cutRequest(path, c.headers, c.body, at, c.chunked);
        expect(answer.startsWith('HTTP/1.1 200'), `${c.name} cut at ${at} was answered 200`).toBe(false);
        await settled(table);
        expect(await count(table), `${c.name} cut at ${at} of ${c.body.length}`).toBe(0);
      }
    }
    // A gzip body whose HTTP framing is whole but whose compressed stream is truncated.
    const r = await fetch(`${server.url}${path}`, { method: 'POST', body: gz.subarray(0, gz.length - 5), headers: { 'Content-Encoding': 'gzip' } });
    expect(r.status).not.toBe(200);
    expect(await r.text()).toMatch(/Code: (271|33)\./);
    expect(await count(table)).toBe(0);

    // The retry with the same token inserts everything: the token was not spent.
    await fetch(`${server.url}${path}`, { method: 'POST', body: json }).then((x) => x.text());
    expect(await count(table)).toBe(rows);
    // And a second retry is the duplicate it should be.
    await fetch(`${server.url}${path}`, { method: 'POST', body: json }).then((x) => x.text());
    expect(await count(table)).toBe(rows);
  });
});
