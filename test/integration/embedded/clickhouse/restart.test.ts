// Restart: rows written before the server stops are there after it starts again on the same
// state directory, and a materialized view keeps feeding its target.
import { createClient } from '@clickhouse/client';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, type ServerHandle } from './server-process.ts';

let server: ServerHandle | undefined;

afterAll(async () => {
  await server?.stop();
});

const count = async (url: string, sql: string): Promise<number> => {
  const client = createClient({ url });
  try {
    const rs = await client.query({ query: sql, format: 'JSONEachRow' });
    const rows = await rs.json<{ n: string | number }>();
    return Number(rows[0]?.n);
  } finally {
    await client.close();
  }
};

describe('embedded ClickHouse restart', () => {
  it('keeps rows and materialized views across stop and start', async () => {
    server = await startServer();
    const { stateDir, port } = server;
    let client = createClient({ url: server.url });
    await client.command({ query: 'CREATE TABLE readings (site String, kw Float64) ENGINE = MergeTree ORDER BY site' });
    await client.command({ query: 'CREATE TABLE site_totals (site String, kw Float64) ENGINE = SummingMergeTree ORDER BY site' });
    await client.command({ query: 'CREATE MATERIALIZED VIEW readings_mv TO site_totals AS SELECT site, kw FROM readings' });
    await client.insert({ table: 'readings', values: [{ site: 'a', kw: 1.5 }, { site: 'b', kw: 2 }], format: 'JSONEachRow' });
    await client.close();
    expect(await server.stop()).toBe(0);

    server = await startServer({ stateDir, port });
    expect(await count(server.url, 'SELECT count() AS n FROM readings')).toBe(2);
    client = createClient({ url: server.url });
    await client.insert({ table: 'readings', values: [{ site: 'a', kw: 3 }], format: 'JSONEachRow' });
    await client.close();
    expect(await count(server.url, "SELECT sum(kw) AS n FROM site_totals WHERE site = 'a'")).toBe(4.5);
    expect(await count(server.url, 'SELECT sum(kw) AS n FROM site_totals')).toBe(6.5);
  });
});
