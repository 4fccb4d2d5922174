// The embedded server refuses SQL that reaches its host (files, network, the process) for every
// user, and limits an analyst's concurrent queries. Without host-access.ts every refused statement
// below runs: the engine is clickhouse-local, which reads /etc/passwd for anyone who asks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerHandle } from './server-process.ts';

let server: ServerHandle;
beforeAll(async () => {
  server = await startServer();
}, 120_000);
afterAll(async () => {
  await server.stop();
});

const users = [
  ['default', ''],
  ['ingest', 'ingest-pw'],
  ['analyst', 'analyst-pw'],
] as const;

const run = async (user: string, password: string, query: string, body?: string): Promise<{ status: number; text: string; code: string | null }> => {
  const r = await fetch(`${server.url}/?query=${encodeURIComponent(query)}`, {
    method: body === undefined && !/^\s*(INSERT|CREATE|BACKUP|ATTACH|SYSTEM)/i.test(query) ? 'GET' : 'POST',
    ...(body === undefined ? {} : { body }),
    headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
    signal: AbortSignal.timeout(15_000),
  });
  return { status: r.status, text: await r.text(), code: r.headers.get('x-clickhouse-exception-code') };
};

const hostReaching = [
  "SELECT * FROM file('/etc/passwd', 'LineAsString')",
  'SELECT count() FROM `/etc/passwd`',
  "SELECT count() FROM '/etc/passwd'",
  "SELECT file('/etc/hostname')",
  "SELECT * FROM url('http://127.0.0.1:1/x', CSV, 'a String')",
  "SELECT * FROM s3('http://127.0.0.1:1/bucket/x.csv')",
  "SELECT * FROM remote('127.0.0.1:9000', system.one)",
  "WITH x AS (SELECT * FROM file('/etc/passwd', 'LineAsString')) SELECT * FROM x",
  "INSERT INTO FUNCTION file('/tmp/gridfleet-host-access-probe', 'CSV', 'x UInt8') SELECT 1",
  "SELECT 1 INTO OUTFILE '/tmp/gridfleet-host-access-probe'",
  "CREATE TABLE probe_file (x UInt8) ENGINE = File(CSV)",
  "CREATE TABLE probe_url (x UInt8) ENGINE = URL('http://127.0.0.1:1/x', CSV)",
  "CREATE DATABASE probe_fs ENGINE = Filesystem('/etc')",
  "CREATE DICTIONARY probe_dict (x UInt8) PRIMARY KEY x SOURCE(FILE(path '/etc/passwd' format 'CSV')) LAYOUT(FLAT()) LIFETIME(0)",
  "BACKUP TABLE system.one TO File('/tmp/gridfleet-host-access-probe')",
  'SELECT 1; SELECT * FROM `/etc/passwd`',
  'SYSTEM SHUTDOWN',
  "SELECT number FROM numbers(1) SETTINGS format_template_row = '/etc/passwd' FORMAT Template",
];

describe('host access through SQL', () => {
  for (const [user, password] of users) {
    it(`is refused for ${user} with ACCESS_DENIED and a reason, and the server keeps answering`, async () => {
      for (const q of hostReaching) {
        const r = await run(user, password, q);
        expect(r.status, q).toBeGreaterThanOrEqual(400);
        // The analyst's read-only refusal (164) may come first for writes; nothing may succeed.
        expect(['497', '164'], `${q}: ${r.text}`).toContain(r.code);
        expect(r.text).not.toMatch(/root:/);
        if (r.code === '497') expect(r.text).toMatch(/refused|not allowed/);
      }
      expect((await run(user, password, 'SELECT 40 + 2')).text).toBe('42\n');
    }, 60_000);
  }

  it('refuses a host path given as a request setting, and does not quote the file', async () => {
    const r = await fetch(`${server.url}/?query=${encodeURIComponent('SELECT number FROM numbers(1) FORMAT Template')}&format_template_row=${encodeURIComponent('/etc/passwd')}`);
    const text = await r.text();
    expect(r.headers.get('x-clickhouse-exception-code'), text).toBe('497');
    expect(text).not.toMatch(/root:/);
  });

  it('still runs what analysts and ingest need: engine tables, numbers(), inserts with bodies, parameters', async () => {
    expect((await run('default', '', 'CREATE TABLE access_ok (x UInt32, s String) ENGINE = MergeTree ORDER BY x')).status).toBe(200);
    expect((await run('ingest', 'ingest-pw', 'INSERT INTO access_ok FORMAT JSONEachRow', '{"x": 1, "s": "a;b"}\n{"x": 2, "s": "INTO OUTFILE"}\n')).status).toBe(200);
    expect((await run('analyst', 'analyst-pw', 'SELECT sum(x), any(s) FROM access_ok FORMAT TSV')).text).toMatch(/^3\t/);
    expect((await run('analyst', 'analyst-pw', 'SELECT sum(number) FROM numbers(10)')).text).toBe('45\n');
    const p = await fetch(`${server.url}/?query=${encodeURIComponent('SELECT count() FROM access_ok WHERE x = {x:UInt32}')}&param_x=2`, { headers: { authorization: `Basic ${Buffer.from('analyst:analyst-pw').toString('base64')}` } });
    expect(await p.text()).toBe('1\n');
  }, 60_000);

  it("answers the analyst's query over max_concurrent_queries_for_user with TOO_MANY_SIMULTANEOUS_QUERIES", async () => {
    const slow = [run('analyst', 'analyst-pw', 'SELECT sleep(0.9)'), run('analyst', 'analyst-pw', 'SELECT sleep(0.9)')];
    await new Promise((r) => setTimeout(r, 400));
    const third = await run('analyst', 'analyst-pw', 'SELECT 1');
    expect(third.code).toBe('202');
    expect(third.text).toMatch(/TOO_MANY_SIMULTANEOUS_QUERIES/);
    // Another user is not limited by the analyst's queries.
    expect((await run('ingest', 'ingest-pw', 'SELECT 1')).text).toBe('1\n');
    for (const r of await Promise.all(slow)) expect(r.status).toBe(200);
    expect((await run('analyst', 'analyst-pw', 'SELECT 1')).text).toBe('1\n');
  }, 60_000);

  it("counts only the analyst's own queries: others running do not use up its slots", async () => {
    // The engine runs every connection as one user: the limit must not reach it, or the analyst's
    // query would count the other users' queries too (the isolation harness hit this).
    const others = [0, 1, 2].map(() => run('ingest', 'ingest-pw', 'SELECT sleep(0.9)'));
    await new Promise((r) => setTimeout(r, 300));
    const mine = await run('analyst', 'analyst-pw', 'SELECT 2');
    expect(mine.text, mine.text).toBe('2\n');
    for (const r of await Promise.all(others)) expect(r.status).toBe(200);
  }, 60_000);
});
