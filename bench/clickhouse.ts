/**
 * `npm run bench -- clickhouse [--json] [--rows=1000000] [--repeats=3] [--queries=50]`: the cost
 * of the embedded server's HTTP layer. The same inserts (JSONEachRow, RowBinary, Native) and the
 * same query run through the HTTP server (a child process on a free port, temp data dir) and
 * through chDB in this process; the ratio of the times is the protocol layer's cost.
 *
 * In-process baselines: the engine reading the payload from a file (`INSERT ... FROM INFILE`,
 * the floor: no transfer at all, every format) and, for JSONEachRow, chdb's public raw insert
 * API (`Session.insert({ values: Buffer, format })`, what an embedding app would call).
 * The same inserts with lz4 (LZ4 frame) and zstd request bodies, against the engine reading the
 * same compressed file itself (`FROM INFILE ... COMPRESSION 'lz4'|'zstd'`).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'chdb';
import * as zstd from '@mongodb-js/zstd';
import * as lz4 from 'lz4-napi';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Benchmark, BenchContext, BenchOutcome, Metric } from './types.ts';
import { ENGINE_THREAD_ENV } from '../services/embedded/clickhouse/threadpool.ts';

const FORMATS = ['JSONEachRow', 'RowBinary', 'Native'] as const;
type Format = (typeof FORMATS)[number];
const CODECS = ['lz4', 'zstd'] as const;
type Codec = (typeof CODECS)[number] | 'none';
const TABLE_DDL = (t: string): string =>
  `CREATE TABLE ${t} (siteId String, ts DateTime64(3, 'UTC'), seq UInt64, socPct Float64, solarKw Float64, loadKw Float64) ENGINE = MergeTree ORDER BY (siteId, ts)`;
const QUERY = 'SELECT siteId, avg(socPct) AS soc, sum(solarKw) AS solar FROM bench_q GROUP BY siteId ORDER BY solar DESC LIMIT 10 FORMAT JSONEachRow';

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });

const percentile = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};

const timed = async (f: () => Promise<unknown>): Promise<number> => {
  const t = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - t) / 1e6;
};

interface Target {
  run(sql: string): Promise<void>;
  insert(table: string, format: Format, body: Buffer, codec?: Codec): Promise<void>;
  query(sql: string): Promise<string>;
}

const httpTarget = (url: string): Target => {
  const post = async (params: string, body: Buffer | string): Promise<string> => {
    const r = await fetch(`${url}/?${params}`, { method: 'POST', body });
    const text = await r.text();
    if (!r.ok) throw new Error(`HTTP ${r.status}: ${text}`);
    return text;
  };
  return {
    run: async (sql) => void (await post('', sql)),
    insert: async (table, format, body, codec = 'none') => {
      const params = `query=${encodeURIComponent(`INSERT INTO ${table} FORMAT ${format}`)}`;
      if (codec === 'none') return void (await post(params, body));
      const r = await fetch(`${url}/?${params}`, { method: 'POST', body, headers: { 'Content-Encoding': codec } });
      const text = await r.text();
      if (!r.ok) throw new Error(`HTTP ${r.status}: ${text}`);
    },
    query: async (sql) => {
      const r = await fetch(`${url}/?query=${encodeURIComponent(sql)}`);
      return r.text();
    },
  };
};

/** chDB in this process; inserts read payload files written once up front, so only the engine is timed. */
const inprocTarget = (session: Session, files: Record<Format, string>): Target => ({
  run: async (sql) => void (await session.queryAsync(sql, { format: 'TabSeparated' })),
  insert: async (table, format, _body, codec = 'none') =>
    void (await session.queryAsync(
      codec === 'none'
        ? `INSERT INTO ${table} FROM INFILE '${files[format]}' FORMAT ${format}`
        : `INSERT INTO ${table} FROM INFILE '${files[format]}.${codec}' COMPRESSION '${codec}' FORMAT ${format}`,
    )),
  query: async (sql) => (await session.queryAsync(sql, { format: 'TabSeparated' })).text(),
});

/** chdb's public raw insert API with the payload in memory (text formats only). */
const chdbApiTarget = (session: Session): Target => ({
  ...inprocTarget(session, { JSONEachRow: '', RowBinary: '', Native: '' }),
  insert: async (table, format, body) => {
    if (format !== 'JSONEachRow') throw new Error(`chdb's raw insert API takes text formats only, not ${format}`);
    await session.insert({ table, values: body, format });
  },
});

const startServer = async (dir: string, port: number): Promise<{ url: string; stop: () => Promise<void> }> => {
  const users = join(dir, 'users.json');
  writeFileSync(users, JSON.stringify({ users: { default: {} } }));
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/embedded/clickhouse/main.ts'], {
    env: { ...process.env, ...ENGINE_THREAD_ENV, CLICKHOUSE_PORT: String(port), GRIDFLEET_STATE_DIR: join(dir, 'state'), CLICKHOUSE_USERS_FILE: users, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await (await fetch(`${url}/ping`)).text()) === 'Ok.\n') break;
    } catch {
      if (i > 600 || child.exitCode !== null) throw new Error('the ClickHouse server did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { url, stop: async () => { child.kill('SIGTERM'); await exited; } };
};

/** Inserts each format `repeats` times into a fresh table; returns the best time in ms per format. */
const measureInserts = async (
  target: Target, payloads: Record<Format, Buffer>, rows: number, repeats: number, formats: readonly Format[] = FORMATS, codec: Codec = 'none',
): Promise<Partial<Record<Format, number>>> => {
  const best: Partial<Record<Format, number>> = {};
  for (const f of formats) {
    let min = Number.POSITIVE_INFINITY;
    for (let r = 0; r < repeats; r++) {
      const t = `bench_${f.toLowerCase()}_${r}`;
      await target.run(`DROP TABLE IF EXISTS ${t}`);
      await target.run(TABLE_DDL(t));
      min = Math.min(min, await timed(() => target.insert(t, f, payloads[f], codec)));
      const n = Number((await target.query(`SELECT count() FROM ${t}`)).trim());
      if (n !== rows) throw new Error(`${f} insert wrote ${n} rows, expected ${rows}`);
      await target.run(`DROP TABLE ${t}`);
    }
    best[f] = min;
  }
  return best;
};

const measureQuery = async (target: Target, payload: Buffer, count: number): Promise<number> => {
  await target.run('DROP TABLE IF EXISTS bench_q');
  await target.run(TABLE_DDL('bench_q'));
  await target.insert('bench_q', 'Native', payload);
  await target.query(QUERY);
  const times: number[] = [];
  for (let i = 0; i < count; i++) times.push(await timed(() => target.query(QUERY)));
  return percentile(times, 50);
};

const run = async (ctx: BenchContext): Promise<BenchOutcome> => {
  const rows = Number(ctx.options['rows'] ?? 1_000_000);
  const repeats = Number(ctx.options['repeats'] ?? 3);
  const queries = Number(ctx.options['queries'] ?? 50);
  const dir = mkdtempSync(join(tmpdir(), 'gridfleet-ch-bench-'));
  const session = new Session(join(dir, 'inproc'));
  try {
    ctx.progress(`generating ${rows} rows in JSONEachRow, RowBinary and Native`);
    const gen = `SELECT concat('site-', toString(number % 5000)) AS siteId, toDateTime64(1767225600 + intDiv(number, 5000) * 60, 3, 'UTC') AS ts,
      number AS seq, (number % 1000) / 10 AS socPct, (number % 71) / 7 AS solarKw, (number % 53) / 9 AS loadKw FROM numbers(${rows})`;
    const payloads = {} as Record<Format, Buffer>;
    const files = {} as Record<Format, string>;
    for (const f of FORMATS) {
      payloads[f] = Buffer.from((await session.queryAsync(`${gen} FORMAT ${f}`, { format: f })).bytes());
      files[f] = join(dir, `payload.${f}`);
      writeFileSync(files[f], payloads[f]);
    }
    const compressed: Record<(typeof CODECS)[number], Record<Format, Buffer>> = { lz4: {} as Record<Format, Buffer>, zstd: {} as Record<Format, Buffer> };
    for (const f of FORMATS) {
      compressed.lz4[f] = await lz4.compressFrame(payloads[f]);
      compressed.zstd[f] = await zstd.compress(payloads[f], 3);
      for (const c of CODECS) writeFileSync(`${files[f]}.${c}`, compressed[c][f]);
    }

    ctx.progress('in-process inserts');
    const inproc = await measureInserts(inprocTarget(session, files), payloads, rows, repeats);
    const api = await measureInserts(chdbApiTarget(session), payloads, rows, repeats, ['JSONEachRow']);
    const inprocCodec: Record<(typeof CODECS)[number], Partial<Record<Format, number>>> = { lz4: {}, zstd: {} };
    for (const c of CODECS) inprocCodec[c] = await measureInserts(inprocTarget(session, files), payloads, rows, repeats, FORMATS, c);
    ctx.progress('in-process query');
    const inprocQueryP50 = await measureQuery(inprocTarget(session, files), payloads.Native, queries);

    const server = await startServer(dir, await freePort());
    let http: Partial<Record<Format, number>>;
    const httpCodec: Record<(typeof CODECS)[number], Partial<Record<Format, number>>> = { lz4: {}, zstd: {} };
    let httpQueryP50: number;
    try {
      ctx.progress('HTTP inserts');
      http = await measureInserts(httpTarget(server.url), payloads, rows, repeats);
      for (const c of CODECS) httpCodec[c] = await measureInserts(httpTarget(server.url), compressed[c], rows, repeats, FORMATS, c);
      ctx.progress('HTTP query');
      httpQueryP50 = await measureQuery(httpTarget(server.url), payloads.Native, queries);
    } finally {
      await server.stop();
    }

    const perSec = (ms: number | undefined): number => Math.round(rows / ((ms ?? Number.NaN) / 1000));
    const ratio = (a: number | undefined, b: number | undefined): number => Math.round(((a ?? Number.NaN) / (b ?? Number.NaN)) * 1000) / 1000;
    const metrics: Record<string, Metric> = {
      httpInsertRowsPerSec: perSec(http.JSONEachRow),
      inprocInsertRowsPerSec: perSec(inproc.JSONEachRow),
      httpOverheadRatio: ratio(http.JSONEachRow, inproc.JSONEachRow),
      chdbApiInsertRowsPerSec: perSec(api.JSONEachRow),
      httpVsChdbApiRatio: ratio(http.JSONEachRow, api.JSONEachRow),
      httpRowBinaryRowsPerSec: perSec(http.RowBinary),
      inprocRowBinaryRowsPerSec: perSec(inproc.RowBinary),
      rowBinaryOverheadRatio: ratio(http.RowBinary, inproc.RowBinary),
      httpNativeRowsPerSec: perSec(http.Native),
      inprocNativeRowsPerSec: perSec(inproc.Native),
      nativeOverheadRatio: ratio(http.Native, inproc.Native),
      queryP50Ms: Math.round(httpQueryP50 * 100) / 100,
      inprocQueryP50Ms: Math.round(inprocQueryP50 * 100) / 100,
      queryOverheadRatio: ratio(httpQueryP50, inprocQueryP50),
      ...Object.fromEntries(CODECS.flatMap((c) => FORMATS.map((f) => [`${c}${f}OverheadRatio`, ratio(httpCodec[c][f], inprocCodec[c][f])]))),
      ...Object.fromEntries(CODECS.flatMap((c) => FORMATS.map((f) => [`http${c[0]?.toUpperCase() ?? ''}${c.slice(1)}${f}RowsPerSec`, perSec(httpCodec[c][f])]))),
      jsonEachRowPayloadBytes: payloads.JSONEachRow.length,
      rowBinaryPayloadBytes: payloads.RowBinary.length,
      nativePayloadBytes: payloads.Native.length,
    };
    const tableRows: Array<readonly [string, string, string?]> = FORMATS.map(
      (f) => [`insert ${f} (HTTP)`, `${perSec(http[f]).toLocaleString('en')} rows/s`, `in-process FROM INFILE ${perSec(inproc[f]).toLocaleString('en')} rows/s, HTTP/in-process time ${ratio(http[f], inproc[f])}`] as const,
    );
    for (const c of CODECS) {
      for (const f of FORMATS) {
        tableRows.push([`insert ${f} ${c} body (HTTP)`, `${perSec(httpCodec[c][f]).toLocaleString('en')} rows/s`, `in-process FROM INFILE COMPRESSION '${c}' ${perSec(inprocCodec[c][f]).toLocaleString('en')} rows/s, ratio ${ratio(httpCodec[c][f], inprocCodec[c][f])}`]);
      }
    }
    tableRows.push(['insert JSONEachRow (chdb API)', `${perSec(api.JSONEachRow).toLocaleString('en')} rows/s`, `Session.insert with a Buffer; HTTP/API time ${ratio(http.JSONEachRow, api.JSONEachRow)}`]);
    tableRows.push(['query p50', `${metrics['queryP50Ms'] as number} ms`, `in-process ${metrics['inprocQueryP50Ms'] as number} ms`]);
    return { rows: tableRows, metrics, parameters: { rows, repeats, queries, formats: FORMATS.join(',') } };
  } finally {
    session.close();
    rmSync(dir, { recursive: true, force: true });
  }
};

const benchmark: Benchmark = {
  name: 'clickhouse',
  description: 'embedded ClickHouse: inserts and a query through the HTTP server vs chDB in-process',
  run,
};
export default benchmark;
