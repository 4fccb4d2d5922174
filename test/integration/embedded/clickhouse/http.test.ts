// The embedded server over plain HTTP: the responses and headers a ClickHouse server gives.
import { randomUUID } from 'node:crypto';
import { get } from 'node:http';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeBlock, nativeBlockDecoder } from '../../../../services/embedded/clickhouse/native-blocks.ts';
import { startServer, type ServerHandle } from './server-process.ts';

let server: ServerHandle;
const q = (sql: string, extra = ''): string => `${server.url}/?query=${encodeURIComponent(sql)}${extra}`;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  expect(await server?.stop()).toBe(0);
});

describe('embedded ClickHouse over plain HTTP', () => {
  it('answers /ping and / with Ok.', async () => {
    for (const path of ['/ping', '/']) {
      const r = await fetch(`${server.url}${path}`);
      expect(r.status).toBe(200);
      expect(await r.text()).toBe('Ok.\n');
    }
  });

  it('answers a simple query with ClickHouse headers', async () => {
    const r = await fetch(q('SELECT 1 + 1', '&query_id=my-query-1'));
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('2\n');
    expect(r.headers.get('x-clickhouse-query-id')).toBe('my-query-1');
    expect(r.headers.get('x-clickhouse-format')).toBe('TabSeparated');
    expect(r.headers.get('content-type')).toBe('text/tab-separated-values; charset=UTF-8');
    expect(r.headers.get('x-clickhouse-timezone')).toMatch(/UTC/);
    const summary = JSON.parse(r.headers.get('x-clickhouse-summary') ?? '{}') as Record<string, string>;
    expect(Object.keys(summary)).toEqual(expect.arrayContaining(['read_rows', 'read_bytes', 'written_rows', 'written_bytes', 'elapsed_ns']));
    expect(r.headers.get('x-clickhouse-exception-code')).toBeNull();
  });

  it('names the format of a query with FORMAT and of default_format', async () => {
    const r = await fetch(q('SELECT number AS n FROM numbers(2) FORMAT JSONEachRow'));
    expect(r.headers.get('x-clickhouse-format')).toBe('JSONEachRow');
    expect(await r.text()).toBe('{"n":0}\n{"n":1}\n');
    const csv = await fetch(q('SELECT 1 AS a, \'x\' AS b', '&default_format=CSVWithNames'));
    expect(csv.headers.get('x-clickhouse-format')).toBe('CSVWithNames');
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=UTF-8; header=present');
    expect(await csv.text()).toBe('"a","b"\n1,"x"\n');
  });

  it('answers an error with its status, code header and ClickHouse text', async () => {
    const r = await fetch(q(`SELECT * FROM missing_${randomUUID().slice(0, 8)}`));
    expect(r.status).toBe(404);
    expect(r.headers.get('x-clickhouse-exception-code')).toBe('60');
    expect(await r.text()).toMatch(/^Code: 60\. DB::Exception: .*\(UNKNOWN_TABLE\) \(version [\d.]+\)\n$/s);
    const syntax = await fetch(`${server.url}/`, { method: 'POST', body: 'SELEC 1' });
    expect(syntax.status).toBe(400);
    expect(syntax.headers.get('x-clickhouse-exception-code')).toBe('62');
    const auth = await fetch(q('SELECT 1'), { headers: { 'X-ClickHouse-User': 'analyst', 'X-ClickHouse-Key': 'nope' } });
    expect(auth.status).toBe(403);
    expect(auth.headers.get('x-clickhouse-exception-code')).toBe('516');
  });

  it('refuses writes through GET, as ClickHouse does', async () => {
    const r = await fetch(q('CREATE TABLE get_write (x UInt8) ENGINE = Memory'));
    expect(r.headers.get('x-clickhouse-exception-code')).toBe('164');
  });

  it('compresses the response when asked and reads a compressed body', async () => {
    // fetch decompresses on its own; node:http shows the bytes on the wire.
    const { encoding, raw } = await new Promise<{ encoding: string | undefined; raw: Buffer }>((resolve, reject) => {
      get(q('SELECT number FROM numbers(1000)', '&enable_http_compression=1'), { headers: { 'Accept-Encoding': 'gzip' } }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => resolve({ encoding: res.headers['content-encoding'], raw: Buffer.concat(parts) }));
        res.on('error', reject);
      }).on('error', reject);
    });
    expect(encoding).toBe('gzip');
    const text = gunzipSync(raw).toString('utf8');
    expect(text.split('\n')).toHaveLength(1001);
    expect(raw.length).toBeLessThan(text.length);

    const t = `gz_${randomUUID().slice(0, 8)}`;
    await fetch(`${server.url}/`, { method: 'POST', body: `CREATE TABLE ${t} (id UInt32) ENGINE = MergeTree ORDER BY id` });
    const rows = Array.from({ length: 500 }, (_, i) => JSON.stringify({ id: i })).join('\n');
    const ins = await fetch(q(`INSERT INTO ${t} FORMAT JSONEachRow`), { method: 'POST', body: gzipSync(rows), headers: { 'Content-Encoding': 'gzip' } });
    expect(ins.status).toBe(200);
    expect(await (await fetch(q(`SELECT count(), sum(id) FROM ${t}`))).text()).toBe('500\t124750\n');
  });

  it('takes the query followed by inline data in the body, and Native inserts', async () => {
    const t = `inline_${randomUUID().slice(0, 8)}`;
    await fetch(`${server.url}/`, { method: 'POST', body: `CREATE TABLE ${t} (a UInt32, b String) ENGINE = MergeTree ORDER BY a` });
    const r = await fetch(`${server.url}/`, { method: 'POST', body: `INSERT INTO ${t} FORMAT CSV\n1,"one"\n2,"two"\n` });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.headers.get('x-clickhouse-summary') ?? '{}')).toMatchObject({ written_rows: '2' });
    const native = Buffer.from(await (await fetch(q("SELECT toUInt32(number + 10) AS a, 'n' AS b FROM numbers(3) FORMAT Native"))).arrayBuffer());
    const ins = await fetch(q(`INSERT INTO ${t} FORMAT Native`), { method: 'POST', body: native });
    expect(ins.status).toBe(200);
    expect(await (await fetch(q(`SELECT count(), sum(a) FROM ${t}`))).text()).toBe('5\t36\n');
  });

  it('never ends insert data at a blank line nor runs body text as SQL', async () => {
    // Regression: libchdb's inline insert data stops at the first blank line (RowBinary row 2570
    // is 0a 0a ...) and executes the rest as SQL; inserts must go through a spool file.
    const t = `blank_${randomUUID().slice(0, 8)}`;
    await fetch(`${server.url}/`, { method: 'POST', body: `CREATE TABLE ${t} (a UInt64) ENGINE = MergeTree ORDER BY a` });
    const rb = Buffer.from(await (await fetch(q('SELECT number AS a FROM numbers(5000) FORMAT RowBinary'))).arrayBuffer());
    expect((await fetch(q(`INSERT INTO ${t} FORMAT RowBinary`), { method: 'POST', body: rb })).status).toBe(200);
    expect(await (await fetch(q(`SELECT count() FROM ${t}`))).text()).toBe('5000\n');
    const smuggled = await fetch(q(`INSERT INTO ${t} FORMAT JSONEachRow`), { method: 'POST', body: `{"a":1}\n\nDROP TABLE ${t}\n` });
    expect(smuggled.status).not.toBe(200);
    expect(await (await fetch(q(`SELECT count() FROM ${t}`))).text()).toBe('5000\n');
  });

  it('answers pings while a long query runs (the event loop stays free)', async () => {
    const slow = fetch(q('SELECT count() FROM numbers(3000000000)'));
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    const ping = await fetch(`${server.url}/ping`);
    expect(await ping.text()).toBe('Ok.\n');
    expect(Date.now() - started).toBeLessThan(300);
    expect((await slow).status).toBe(200);
  });

  it('kills a query still working on its first block when the client disconnects', async () => {
    // Regression: the disconnect listener was attached only once the first block had arrived, so a
    // client that gave up on a heavy SELECT left it running to its end (or max_execution_time).
    const mark = `gone_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const running = async (): Promise<number> =>
      Number(await (await fetch(q(`SELECT count() FROM system.processes WHERE query LIKE '%${mark}%' AND query NOT LIKE '%system.processes%'`))).text());
    const until = async (check: () => Promise<boolean>, ms: number): Promise<boolean> => {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        if (await check()) return true;
        await new Promise((r) => setTimeout(r, 100));
      }
      return false;
    };
    const client = new AbortController();
    // One block only, after minutes of work (bounded at 15 s in case cancelling breaks).
    const heavy = fetch(q(`SELECT count() AS ${mark} FROM numbers(100000000000) WHERE NOT ignore(sipHash64(number)) SETTINGS max_threads = 1, max_execution_time = 15`), { signal: client.signal })
      .then((r) => `answered ${r.status}`, () => 'aborted');
    expect(await until(async () => (await running()) === 1, 10_000)).toBe(true);
    client.abort();
    expect(await heavy).toBe('aborted');
    expect(await until(async () => (await running()) === 0, 5_000)).toBe(true);
    expect(await (await fetch(`${server.url}/ping`)).text()).toBe('Ok.\n');
  });

  it('says clearly what is not supported', async () => {
    const r = await fetch(q('SELECT 1', '&role=admin'));
    expect(r.status).toBe(501);
    expect(await r.text()).toMatch(/NOT_IMPLEMENTED/);
  });

  it("speaks ClickHouse's compressed blocks both ways (compress=1, decompress=1), checksums checked", async () => {
    const table = `blocks_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    await fetch(q(`CREATE TABLE ${table} (n UInt64) ENGINE = MergeTree ORDER BY n`), { method: 'POST' });
    const rows = Buffer.from(Array.from({ length: 5000 }, (_, i) => `${i}\n`).join(''));
    const body = nativeBlock(rows);
    const ins = await fetch(q(`INSERT INTO ${table} FORMAT TSV`, '&decompress=1'), { method: 'POST', body });
    expect(ins.status).toBe(200);
    const sel = await fetch(q(`SELECT n FROM ${table} ORDER BY n FORMAT TSV`, '&compress=1'));
    const framed = Buffer.from(await sel.arrayBuffer());
    // One block: checksum, method 0x82 (LZ4), sizes; then decoded with the server's own decoder.
    expect(framed[16]).toBe(0x82);
    const decoded = await new Promise<Buffer>((resolve, reject) => {
      const parts: Buffer[] = [];
      const d = nativeBlockDecoder(true);
      d.on('data', (c: Buffer) => parts.push(c)).on('end', () => resolve(Buffer.concat(parts))).on('error', reject);
      d.end(framed);
    });
    expect(decoded.equals(rows)).toBe(true);
    // A flipped byte in the payload fails the checksum and inserts nothing.
    const bad = Buffer.from(body);
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 0xff;
    const refused = await fetch(q(`INSERT INTO ${table} FORMAT TSV`, '&decompress=1'), { method: 'POST', body: bad });
    expect(refused.status).toBe(500);
    expect(await refused.text()).toMatch(/CHECKSUM_DOESNT_MATCH/);
    expect((await (await fetch(q(`SELECT count() FROM ${table}`))).text()).trim()).toBe('5000');
  });
});
