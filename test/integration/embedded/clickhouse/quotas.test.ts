// Issue 19: there were no per-user quotas. A user whose quota is used up gets ClickHouse's
// QUOTA_EXCEEDED (201) naming the counter, while a user without a quota running the same queries
// (the negative control) is never refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerHandle } from './server-process.ts';

let server: ServerHandle;
beforeAll(async () => {
  server = await startServer({
    users: {
      counted: { password: 'counted-pw', readonly: 1, quota: [{ duration: 3600, queries: 3 }] },
      rows: { password: 'rows-pw', readonly: 1, quota: [{ duration: 3600, result_rows: 250_000 }] },
    },
  });
}, 120_000);
afterAll(async () => {
  await server.stop();
});

const run = async (user: string, password: string, query: string): Promise<{ status: number; text: string; code: string | null }> => {
  const r = await fetch(`${server.url}/?query=${encodeURIComponent(query)}`, {
    headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
    signal: AbortSignal.timeout(15_000),
  });
  return { status: r.status, text: await r.text(), code: r.headers.get('x-clickhouse-exception-code') };
};

describe('quotas per user', () => {
  it('refuses the query over the queries quota with QUOTA_EXCEEDED', async () => {
    for (let i = 0; i < 3; i++) expect((await run('counted', 'counted-pw', 'SELECT 1')).text).toBe('1\n');
    const over = await run('counted', 'counted-pw', 'SELECT 1');
    expect(over.code).toBe('201');
    expect(over.text).toMatch(/Quota for user 'counted' for 1h has been exceeded: queries = 4\/3\. Interval will end at \d{4}-\d\d-\d\d \d\d:00:00\. \(QUOTA_EXCEEDED\)/);
    // The negative control: a user without a quota runs more than that.
    for (let i = 0; i < 6; i++) expect((await run('ingest', 'ingest-pw', 'SELECT 1')).text).toBe('1\n');
  });

  it('counts the rows a user was sent, across blocks, and refuses once they pass the quota', async () => {
    // 200,000 rows stream in many blocks: the ones after the first buffer count too.
    expect((await run('rows', 'rows-pw', 'SELECT number FROM numbers(200000)')).text.split('\n')).toHaveLength(200_001);
    expect((await run('rows', 'rows-pw', 'SELECT number FROM numbers(100000)')).status).toBe(200);
    const over = await run('rows', 'rows-pw', 'SELECT 1');
    expect(over.code).toBe('201');
    expect(over.text).toMatch(/result_rows = 300000\/250000/);
    expect((await run('ingest', 'ingest-pw', 'SELECT number FROM numbers(300000) FORMAT Null')).status).toBe(200);
  });
});
