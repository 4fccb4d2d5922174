// Binary output formats of the embedded server checked byte by byte (Parquet, Arrow,
// RowBinaryWithNamesAndTypes), and a Parquet body inserted back: what data scientists move around.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerHandle } from './server-process.ts';

let server: ServerHandle;
const q = (sql: string): string => `${server.url}/?query=${encodeURIComponent(sql)}`;
const post = (sql: string, body?: Buffer): Promise<Response> => fetch(q(sql), { method: 'POST', ...(body === undefined ? {} : { body }) });
const bytesOf = async (r: Response): Promise<Buffer> => Buffer.from(await r.arrayBuffer());
const fresh = (prefix: string): string => `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  expect(await server?.stop()).toBe(0);
});

describe('embedded ClickHouse binary formats', () => {
  it('answers a SELECT in Parquet with the PAR1 magic at both ends', async () => {
    const r = await fetch(q('SELECT number AS id, toString(number) AS name FROM numbers(1000) FORMAT Parquet'));
    expect(r.status).toBe(200);
    expect(r.headers.get('x-clickhouse-format')).toBe('Parquet');
    const body = await bytesOf(r);
    expect(body.length).toBeGreaterThan(8);
    expect(body.subarray(0, 4).toString('latin1')).toBe('PAR1');
    expect(body.subarray(-4).toString('latin1')).toBe('PAR1');
  });

  it('answers a SELECT in Arrow as an IPC file with the ARROW1 magic at both ends', async () => {
    const r = await fetch(q('SELECT number AS id FROM numbers(10) FORMAT Arrow'));
    expect(r.status).toBe(200);
    expect(r.headers.get('x-clickhouse-format')).toBe('Arrow');
    const body = await bytesOf(r);
    // Arrow IPC file: "ARROW1" plus two bytes of padding, the stream, the footer, "ARROW1".
    expect(body.subarray(0, 8)).toEqual(Buffer.from('ARROW1\0\0', 'latin1'));
    expect(body.subarray(-6).toString('latin1')).toBe('ARROW1');
  });

  it('answers RowBinaryWithNamesAndTypes with column count, names and types before the rows', async () => {
    const r = await fetch(q("SELECT toUInt32(7) AS a, 'xy' AS b FORMAT RowBinaryWithNamesAndTypes"));
    expect(r.status).toBe(200);
    const str = (s: string): Buffer => Buffer.concat([Buffer.from([s.length]), Buffer.from(s, 'latin1')]);
    const expected = Buffer.concat([
      Buffer.from([2]), // LEB128 column count
      str('a'), str('b'), // names
      str('UInt32'), str('String'), // types
      Buffer.from([7, 0, 0, 0]), str('xy'), // the row: UInt32 little-endian, then a length-prefixed string
    ]);
    expect(await bytesOf(r)).toEqual(expected);
  });

  it('takes a Parquet body back in an insert (round trip keeps every row)', async () => {
    const src = fresh('pq_src');
    const dst = fresh('pq_dst');
    for (const t of [src, dst]) {
      expect((await post(`CREATE TABLE ${t} (id UInt64, name String, v Float64) ENGINE = MergeTree ORDER BY id`)).status).toBe(200);
    }
    expect((await post(`INSERT INTO ${src} SELECT number, concat('n', toString(number)), number / 4 FROM numbers(5000)`)).status).toBe(200);
    const parquet = await bytesOf(await fetch(q(`SELECT * FROM ${src} ORDER BY id FORMAT Parquet`)));
    expect(parquet.subarray(0, 4).toString('latin1')).toBe('PAR1');
    const ins = await post(`INSERT INTO ${dst} FORMAT Parquet`, parquet);
    expect(ins.status).toBe(200);
    expect(JSON.parse(ins.headers.get('x-clickhouse-summary') ?? '{}')).toMatchObject({ written_rows: '5000' });
    const check = `SELECT count(), sum(id), sum(v), countIf(name = concat('n', toString(id)))`;
    const [a, b] = await Promise.all([src, dst].map(async (t) => (await fetch(q(`${check} FROM ${t}`))).text()));
    expect(a).toBe('5000\t12497500\t3124375\t5000\n');
    expect(b).toBe(a);
  });

  it('streams a many-block result with a header format as one result, header once', async () => {
    // Regression: chDB hands out each streamed block as a whole output of the format, so a
    // streamed RowBinaryWithNamesAndTypes result repeated its header every block and the JDBC
    // driver read garbage after the first one; JSON and Parquet were wrapped per block.
    for (const format of ['RowBinaryWithNamesAndTypes', 'CSVWithNames', 'JSON', 'Parquet']) {
      const sql = `SELECT number, toString(number) AS s FROM numbers(300000) FORMAT ${format}`;
      const body = async (u: string): Promise<Buffer> => Buffer.from(await (await fetch(u)).arrayBuffer());
      const streamed = await body(q(sql));
      const whole = await body(`${q(sql)}&wait_end_of_query=1`);
      expect(streamed.length, format).toBeGreaterThan(1_000_000);
      if (format === 'JSON') expect(streamed.toString().replace(/"elapsed": [0-9.]+/, '')).toBe(whole.toString().replace(/"elapsed": [0-9.]+/, ''));
      else expect(streamed.equals(whole), format).toBe(true);
    }
  });
});
