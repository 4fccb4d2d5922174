import { readdirSync } from 'node:fs';
import { join } from 'node:path';
// The embedded server through @clickhouse/client, as the ingest tier and data scientists use it.
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { createClient, ClickHouseError, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../../../services/embedded/clickhouse/migrate.ts';
import { rssBytes, startServer, type ServerHandle } from './server-process.ts';

let server: ServerHandle;
let client: ClickHouseClient;
const fresh = (prefix: string): string => `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;

const chError = async (p: Promise<unknown>): Promise<ClickHouseError> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof ClickHouseError) return e;
    throw e;
  }
  throw new Error('expected a ClickHouseError');
};

beforeAll(async () => {
  server = await startServer();
  client = createClient({ url: server.url });
});

afterAll(async () => {
  await client?.close();
  expect(await server?.stop()).toBe(0);
});

describe('embedded ClickHouse via @clickhouse/client', () => {
  it('pings and runs DDL with command', async () => {
    expect((await client.ping()).success).toBe(true);
    const t = fresh('ddl');
    await client.command({ query: `CREATE TABLE ${t} (id UInt32) ENGINE = MergeTree ORDER BY id` });
    const rs = await client.query({ query: `EXISTS TABLE ${t}`, format: 'JSONEachRow' });
    expect(await rs.json()).toEqual([{ result: 1 }]);
  });

  it('inserts JSONEachRow and selects it as JSON and JSONEachRow', async () => {
    const t = fresh('json');
    await client.command({ query: `CREATE TABLE ${t} (id UInt32, site String, socPct Float64) ENGINE = MergeTree ORDER BY id` });
    const values = Array.from({ length: 1000 }, (_, i) => ({ id: i, site: `s${i % 7}`, socPct: i / 10 }));
    const summary = await client.insert({ table: t, values, format: 'JSONEachRow' });
    expect(summary.summary?.written_rows).toBe('1000');
    const each = await client.query({ query: `SELECT id, site FROM ${t} WHERE id < 3 ORDER BY id`, format: 'JSONEachRow' });
    expect(await each.json()).toEqual([{ id: 0, site: 's0' }, { id: 1, site: 's1' }, { id: 2, site: 's2' }]);
    const json = await client.query({ query: `SELECT count() AS n, round(sum(socPct), 1) AS total FROM ${t}`, format: 'JSON' });
    const body = await json.json<{ n: string | number; total: number }>();
    expect(body.data.map((r) => [Number(r.n), r.total])).toEqual([[1000, 49950]]);
    expect(body.meta?.map((m) => m.name)).toEqual(['n', 'total']);
  });

  it('inserts RowBinary bytes through exec', async () => {
    const t = fresh('rb');
    await client.command({ query: `CREATE TABLE ${t} (id UInt32, name String) ENGINE = MergeTree ORDER BY id` });
    const row = (id: number, name: string): Buffer => {
      const idBuf = Buffer.alloc(4);
      idBuf.writeUInt32LE(id);
      const nameBuf = Buffer.from(name);
      return Buffer.concat([idBuf, Buffer.from([nameBuf.length]), nameBuf]);
    };
    const body = Buffer.concat([row(1, 'alpha'), row(2, 'be\nta'), row(3, 'gamma')]);
    const r = await client.exec({ query: `INSERT INTO ${t} FORMAT RowBinary`, values: Readable.from([body]) });
    r.stream.destroy();
    const rs = await client.query({ query: `SELECT id, name FROM ${t} ORDER BY id`, format: 'JSONCompactEachRow' });
    expect(await rs.json()).toEqual([[1, 'alpha'], [2, 'be\nta'], [3, 'gamma']]);
  });

  it('streams a million-row result with bounded server memory', async () => {
    // The engine's first large query grows its pools and caches once; measure after that.
    const warm = await fetch(`${server.url}/?query=${encodeURIComponent("SELECT number, repeat('x', 240) FROM numbers(1000000) FORMAT JSONCompactEachRow")}`);
    expect((await warm.arrayBuffer()).byteLength).toBeGreaterThan(250_000_000);
    const before = await rssBytes(server.pid);
    let peak = before;
    const sampler = setInterval(() => {
      void rssBytes(server.pid).then((r) => {
        peak = Math.max(peak, r);
      });
    }, 50);
    const rs = await client.query({
      // ~260 MB of JSON in total: far more than the growth allowed below.
      query: "SELECT number AS n, repeat('x', 240) AS pad FROM numbers(1000000)",
      format: 'JSONCompactEachRow',
    });
    let rows = 0;
    let last = -1;
    for await (const batch of rs.stream()) {
      for (const row of batch) {
        last = Number(row.json<[string, string]>()[0]);
        rows++;
      }
    }
    clearInterval(sampler);
    expect(rows).toBe(1_000_000);
    expect(last).toBe(999_999);
    // Holding the result would grow RSS by at least its 260 MB; the engine's own buffers and
    // threads account for up to ~160 MB on a loaded 2-core machine, so the bound sits between.
    expect(peak - before).toBeLessThan(220 * 1024 * 1024);
  });

  it('binds query parameters and applies settings', async () => {
    const rs = await client.query({
      query: 'SELECT {site:String} AS site, {n:UInt32} * 2 AS twice, {ids:Array(UInt8)} AS ids',
      query_params: { site: "o'brien", n: 21, ids: [1, 2] },
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual([{ site: "o'brien", twice: 42, ids: [1, 2] }]);
    const s = await client.query({
      query: "SELECT getSetting('max_threads') AS t, getSetting('max_block_size') AS b",
      clickhouse_settings: { max_threads: 3, max_block_size: '4096' },
      format: 'JSONEachRow',
    });
    expect((await s.json<{ t: unknown; b: unknown }>()).map((r) => [Number(r.t), Number(r.b)])).toEqual([[3, 4096]]);
  });

  it('surfaces a syntax error (62) and an unknown table (60) as ClickHouseError', async () => {
    const syntax = await chError(client.query({ query: 'SELEC 1', format: 'JSON' }));
    expect(syntax.code).toBe('62');
    expect(syntax.type).toBe('SYNTAX_ERROR');
    const unknown = await chError(client.query({ query: `SELECT * FROM ${fresh('missing')}`, format: 'JSON' }));
    expect(unknown.code).toBe('60');
    expect(unknown.type).toBe('UNKNOWN_TABLE');
  });

  it('keeps the analyst read-only and inside its limits', async () => {
    const t = fresh('guarded');
    await client.command({ query: `CREATE TABLE ${t} (id UInt32) ENGINE = MergeTree ORDER BY id` });
    await client.insert({ table: t, values: [{ id: 1 }], format: 'JSONEachRow' });
    const analyst = createClient({ url: server.url, username: 'analyst', password: 'analyst-pw' });
    try {
      const rs = await analyst.query({ query: `SELECT toString(count()) AS n FROM ${t}`, format: 'JSONEachRow' });
      expect(await rs.json()).toEqual([{ n: '1' }]);
      const insert = await chError(analyst.insert({ table: t, values: [{ id: 2 }], format: 'JSONEachRow' }));
      expect(insert.code).toBe('164');
      const drop = await chError(analyst.command({ query: `DROP TABLE ${t}` }));
      expect(drop.code).toBe('164');
      const raise = await chError(analyst.query({ query: 'SELECT 1', clickhouse_settings: { max_execution_time: 100 } }));
      expect(raise.code).toBe('164');
      const started = Date.now();
      const slow = await chError(analyst.query({ query: 'SELECT count() FROM numbers(100000000000)', format: 'JSON' }));
      expect(slow.code).toBe('159');
      expect(Date.now() - started).toBeLessThan(10_000);
      const big = await chError(analyst.query({ query: 'SELECT toUInt8(number % 2) FROM numbers(1000000)', format: 'JSONCompactEachRow' }));
      expect(big.code).toBe('396');
      const still = await client.query({ query: `SELECT toString(count()) AS n FROM ${t}`, format: 'JSONEachRow' });
      expect(await still.json()).toEqual([{ n: '1' }]);
    } finally {
      await analyst.close();
    }
  });

  it('refuses a wrong password with code 516', async () => {
    const intruder = createClient({ url: server.url, username: 'ingest', password: 'wrong' });
    try {
      const e = await chError(intruder.query({ query: 'SELECT 1' }));
      expect(e.code).toBe('516');
      expect(e.type).toBe('AUTHENTICATION_FAILED');
    } finally {
      await intruder.close();
    }
    const ingest = createClient({ url: server.url, username: 'ingest', password: 'ingest-pw' });
    try {
      expect(await (await ingest.query({ query: 'SELECT currentUser() = currentUser() AS ok', format: 'JSONEachRow' })).json()).toEqual([{ ok: 1 }]);
    } finally {
      await ingest.close();
    }
  });

  it('keeps temporary tables and settings within an HTTP session', async () => {
    const session = createClient({ url: server.url, session_id: randomUUID() });
    try {
      await session.command({ query: 'CREATE TEMPORARY TABLE scratch (x UInt8)' });
      await session.command({ query: 'INSERT INTO scratch VALUES (7), (8)' });
      const rs = await session.query({ query: 'SELECT toString(sum(x)) AS s FROM scratch', format: 'JSONEachRow' });
      expect(await rs.json()).toEqual([{ s: '15' }]);
    } finally {
      await session.close();
    }
    const outside = await chError(client.query({ query: 'SELECT * FROM scratch' }));
    expect(outside.code).toBe('60');
  });

  it('applies migrations once and records them', async () => {
    const first = await migrate(client);
    const second = await migrate(client);
    expect(first).toContain('001-gridfleet-database.sql');
    expect(second).toEqual([]);
    const rs = await client.query({ query: "SELECT toString(count()) AS n FROM system.databases WHERE name = 'gridfleet'", format: 'JSONEachRow' });
    expect(await rs.json()).toEqual([{ n: '1' }]);
    // Every migration file is recorded exactly once, whatever later issues add.
    const applied = await client.query({ query: 'SELECT name FROM default.schema_migrations ORDER BY name', format: 'JSONEachRow' });
    const files = readdirSync(join('infra', 'clickhouse', 'migrations')).filter((f) => f.endsWith('.sql')).sort();
    expect(first).toEqual(files);
    expect(await applied.json()).toEqual(files.map((name) => ({ name })));
  });
});
