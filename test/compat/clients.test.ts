// Standard ClickHouse clients that no one here wrote, each with its default settings, against the
// embedded server: create, insert, a parameterized select, a streamed select, an error and the
// analyst's read-only refusal. (clickhouse-go over HTTP cannot work here: see docs/clickhouse.md;
// test/compat/go reproduces it.) Guards issue 20: clickhouse-connect's default lz4 request bodies
// were refused with 638, so the embedded default was only as compatible as its rarest setting.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerHandle } from '../integration/embedded/clickhouse/server-process.ts';
import { javaClient, pythonClient, type Client } from './install.ts';

const run = promisify(execFile);
const ANALYST_PASSWORD = 'analyst-pw';
let server: ServerHandle;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  expect(await server?.stop()).toBe(0);
});

const steps = ['ok create', 'ok insert', 'ok parameterized select', 'ok streaming select', 'ok error', 'ok analyst read-only'];

const runClient = async (client: Client): Promise<string> => {
  try {
    const r = await run(client.command, client.args(server.port, ANALYST_PASSWORD), { timeout: 300_000, maxBuffer: 16 * 1024 * 1024 });
    return r.stdout;
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string };
    throw new Error(`${client.name} failed:\n${x.stdout ?? ''}\n${x.stderr ?? ''}\n--- server log ---\n${server.logs()}`, { cause: e });
  }
};

describe('standard clients with their default settings', () => {
  it.each([
    ['clickhouse-connect (Python)', pythonClient],
    ['clickhouse-jdbc over HTTP', javaClient],
  ] as const)('%s', async (_name, install) => {
    const out = await runClient(await install());
    for (const s of steps) expect(out).toContain(s);
  });

  it('@clickhouse/client with compression on both ways', async () => {
    const table = `node_${Date.now().toString(36)}`;
    const opts = { url: server.url, compression: { request: true, response: true } } as const;
    const c = createClient(opts);
    try {
      await c.command({ query: `CREATE TABLE ${table} (id UInt32, site String, kw Float64) ENGINE = MergeTree ORDER BY id` });
      await c.insert({ table, values: Array.from({ length: 1000 }, (_, i) => ({ id: i, site: `site-${i % 10}`, kw: i / 2 })), format: 'JSONEachRow' });
      const p = await c.query({ query: `SELECT count() AS n FROM ${table} WHERE site = {site:String} AND id >= {low:UInt32}`, query_params: { site: 'site-3', low: 500 }, format: 'JSONEachRow' });
      expect((await p.json<{ n: string | number }>()).map((r) => Number(r.n))).toEqual([50]);
      const rs = await c.query({ query: 'SELECT number FROM numbers(300000)', format: 'JSONCompactEachRow' });
      let rows = 0;
      for await (const batch of rs.stream()) rows += batch.length;
      expect(rows).toBe(300_000);
      await expect(c.query({ query: 'SELECT * FROM missing_table_xyz' })).rejects.toMatchObject({ code: '60' });
    } finally {
      await c.close();
    }
    const analyst = createClient({ ...opts, username: 'analyst', password: ANALYST_PASSWORD });
    try {
      const n = await (await analyst.query({ query: `SELECT count() AS n FROM ${table}`, format: 'JSONEachRow' })).json<{ n: string | number }>();
      expect(n.map((r) => Number(r.n))).toEqual([1000]);
      await expect(analyst.insert({ table, values: [{ id: 5000, site: 'x', kw: 1 }], format: 'JSONEachRow' })).rejects.toMatchObject({ code: '164' });
    } finally {
      await analyst.close();
    }
  });
});
