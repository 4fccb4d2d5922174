// Regression: the engine reads a streamed insert's body on one of libuv's pool threads, and with
// the default pool of 4 four stalled insert bodies hung every other query of the server (the whole
// ingest suite timed out behind them). With the pool the server is started with and streamed
// inserts capped below it, queries answer while many insert bodies are stalled.
import { request, type ClientRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerHandle } from './server-process.ts';

let server: ServerHandle;
beforeAll(async () => {
  server = await startServer();
}, 120_000);
afterAll(async () => {
  await server.stop();
});

const sql = async (query: string, body?: string): Promise<string> => {
  const r = await fetch(`${server.url}/?query=${encodeURIComponent(query)}`, { method: 'POST', ...(body === undefined ? {} : { body }), headers: { authorization: `Basic ${Buffer.from('default:').toString('base64')}` }, signal: AbortSignal.timeout(10_000) });
  return r.text();
};

describe('stalled insert bodies', () => {
  it('do not hold up queries or later inserts', async () => {
    await sql('CREATE TABLE stalled_probe (x UInt32) ENGINE = MergeTree ORDER BY x');
    const url = new URL(server.url);
    const stalled: ClientRequest[] = Array.from({ length: 40 }, () => {
      const req = request({ host: url.hostname, port: url.port, method: 'POST', path: `/?query=${encodeURIComponent('INSERT INTO stalled_probe FORMAT JSONEachRow')}`, headers: { 'transfer-encoding': 'chunked', authorization: `Basic ${Buffer.from('default:').toString('base64')}` } });
      req.on('error', () => undefined);
      req.write('{"x": 1}\n');
      return req;
    });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await sql('SELECT 40 + 2')).toBe('42\n');
    for (const r of stalled) r.destroy();
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await sql('INSERT INTO stalled_probe FORMAT JSONEachRow', '{"x": 7}\n')).toBe('');
    // The cut bodies committed nothing; the whole one did.
    expect(await sql('SELECT count(), sum(x) FROM stalled_probe FORMAT TSV')).toBe('1\t7\n');
  }, 60_000);
});
