// `npm run sql` took only a positional query: no parameters, no file, no stdin, no output format.
import { describe, expect, it } from 'vitest';
import { parseSqlArgs, statementOf } from '../../../../services/analytics/ingest/sql-args.ts';

const tty = true;

describe('npm run sql arguments', () => {
  it('a positional query with parameters and the default table format', () => {
    expect(parseSqlArgs(['--param', 'site=site-1', '--param=n=5', 'SELECT {n:UInt8} WHERE s = {site:String}'], tty)).toEqual({
      ok: true,
      value: { help: false, request: { source: { kind: 'text', sql: 'SELECT {n:UInt8} WHERE s = {site:String}' }, params: { site: 'site-1', n: '5' }, format: 'table', out: null } },
    });
  });

  it('a query from a file, from --file -, and from a piped stdin', () => {
    expect(parseSqlArgs(['--file', 'q.sql'], tty)).toMatchObject({ ok: true, value: { request: { source: { kind: 'file', path: 'q.sql' } } } });
    expect(parseSqlArgs(['--file', '-'], tty)).toMatchObject({ ok: true, value: { request: { source: { kind: 'stdin' } } } });
    expect(parseSqlArgs([], false)).toMatchObject({ ok: true, value: { request: { source: { kind: 'stdin' } } } });
  });

  it('--help, and the formats', () => {
    expect(parseSqlArgs(['-h'], tty)).toEqual({ ok: true, value: { help: true } });
    expect(parseSqlArgs(['--format=CSVWithNames', 'SELECT 1'], tty)).toMatchObject({ ok: true, value: { request: { format: 'CSVWithNames' } } });
    expect(parseSqlArgs(['--format', 'Parquet', '--out', 'x.parquet', 'SELECT 1'], tty)).toMatchObject({ ok: true, value: { request: { format: 'Parquet', out: 'x.parquet' } } });
  });

  it('lists every problem at once', () => {
    const r = parseSqlArgs(['--param', 'bad', '--param', '1x=2', '--format', 'XML', '--file', 'a.sql', 'SELECT 1'], tty);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toEqual([
      '--param bad: expected name=value with a name of letters, digits and _',
      '--param 1x=2: expected name=value with a name of letters, digits and _',
      expect.stringMatching(/^--format XML: one of table, CSV/),
      'give the query as text or with --file, not both',
    ]);
    expect(parseSqlArgs([], tty)).toEqual({ ok: false, error: ['no query: give it as text, with --file, or on standard input'] });
    expect(parseSqlArgs(['--format', 'Parquet', 'SELECT 1'], tty)).toEqual({ ok: false, error: ['--format Parquet is binary: give --out PATH'] });
    expect(parseSqlArgs(['--param', 'a=1', '--param', 'a=2', 'SELECT 1'], tty)).toEqual({ ok: false, error: ['--param a is given twice'] });
  });

  it('an unknown option is a usage error, not a crash', () => {
    const r = parseSqlArgs(['--frmat', 'CSV', 'SELECT 1'], tty);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error[0]).toMatch(/--frmat/);
  });

  it('drops trailing semicolons', () => {
    expect(statementOf('  SELECT 1;  \n')).toBe('SELECT 1');
  });
});
