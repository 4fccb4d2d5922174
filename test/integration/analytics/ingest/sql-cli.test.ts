// `npm run sql` against the embedded ClickHouse as a data scientist runs it: parameters, a file,
// standard input, the server's formats (Parquet to a file), and the analyst's read-only refusal.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../../support/stack-env.ts';

const dir = mkdtempSync(join(tmpdir(), 'sql-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sql = (args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const child = execFile(process.execPath, ['--import', 'tsx', 'services/analytics/ingest/sql-cli.ts', ...args], {
      env: { ...process.env, CLICKHOUSE_URL: testConfig().clickhouseUrl },
      encoding: 'utf8',
      timeout: 60_000,
    }, (e, stdout, stderr) => resolve({ code: e === null ? 0 : typeof e.code === 'number' ? e.code : 1, stdout, stderr }));
    if (stdin !== undefined) child.stdin?.end(stdin);
    else child.stdin?.end();
  });

describe('npm run sql', () => {
  it('binds --param values and prints a table', async () => {
    const r = await sql(['--param', 'n=41', '--param', 'who=analyst', 'SELECT {n:UInt8} + 1 AS answer, {who:String} AS who']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^answer \| who\s*$/m);
    expect(r.stdout).toMatch(/^\s*42 \| analyst$/m);
    expect(r.stdout).toContain('(1 row)');
  });

  it('reads the query from a file and from standard input, in the server formats', async () => {
    const file = join(dir, 'q.sql');
    writeFileSync(file, 'SELECT number AS n FROM system.numbers LIMIT 3;\n');
    const csv = await sql(['--file', file, '--format', 'CSVWithNames']);
    expect(csv.code).toBe(0);
    expect(csv.stdout).toBe('"n"\n0\n1\n2\n');
    const piped = await sql(['--format', 'JSONEachRow'], 'SELECT 7 AS seven');
    expect(piped.code).toBe(0);
    expect(JSON.parse(piped.stdout)).toEqual({ seven: 7 });
  });

  it('writes Parquet to a file', async () => {
    const out = join(dir, 'numbers.parquet');
    const r = await sql(['--format', 'Parquet', '--out', out, 'SELECT number AS n FROM system.numbers LIMIT 100']);
    expect(r.code).toBe(0);
    const bytes = readFileSync(out);
    expect(bytes.subarray(0, 4).toString()).toBe('PAR1');
    expect(bytes.subarray(-4).toString()).toBe('PAR1');
  });

  it("answers the analyst's write with ClickHouse's refusal, exit 1; a usage error is exit 2", async () => {
    const w = await sql(['CREATE TABLE sql_cli_should_not_exist (x UInt8) ENGINE = Memory']);
    expect(w.code).toBe(1);
    expect(w.stderr).toMatch(/readonly|READONLY|not allowed|ACCESS_DENIED/i);
    const u = await sql(['--format', 'XML', 'SELECT 1']);
    expect(u.code).toBe(2);
    expect(u.stderr).toContain('--format XML');
    const h = await sql(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('--param name=value');
  });
});
