/**
 * The arguments of `npm run sql`, parsed with Node's own util.parseArgs into a plain request; pure,
 * so every combination is unit-tested without ClickHouse. Expected mistakes are values (a Result
 * with every problem listed), never exceptions.
 */
import { parseArgs } from 'node:util';
import type { Result } from '../../platform/result.ts';

/** Output formats: a table for people, or what ClickHouse writes for programs. */
export const OUTPUT_FORMATS = ['table', 'CSV', 'CSVWithNames', 'TSV', 'TSVWithNames', 'JSONEachRow', 'JSON', 'Parquet'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Where the query comes from. */
export type QuerySource = { kind: 'text'; sql: string } | { kind: 'file'; path: string } | { kind: 'stdin' };

export interface SqlRequest {
  readonly source: QuerySource;
  /** ClickHouse query parameters: `{name:Type}` in the query, `--param name=value` here. */
  readonly params: Readonly<Record<string, string>>;
  readonly format: OutputFormat;
  /** Required for binary formats (Parquet); otherwise stdout. */
  readonly out: string | null;
}

export type SqlArgs = { help: true } | { help: false; request: SqlRequest };

export const SQL_USAGE = `usage: npm run sql -- [options] "<query>"
       npm run sql -- [options] --file query.sql
       echo "<query>" | npm run sql -- [options]

Runs one query in ClickHouse as the read-only analyst and prints the result.

options:
  --param name=value  a query parameter: write {name:Type} in the query (repeatable), e.g.
                      --param site=site-000001 "SELECT count() FROM telemetry WHERE site_id = {site:String}"
  --file PATH         read the query from a file ('-' reads standard input)
  --format FORMAT     ${OUTPUT_FORMATS.join(', ')} (default table)
  --out PATH          write the result to a file (required for Parquet)
  -h, --help          this text

environment: CLICKHOUSE_URL (http://127.0.0.1:8123), SQL_USER / SQL_PASSWORD (analyst / analyst),
SQL_DATABASE (gridfleet). Exit 0 on success, 1 when ClickHouse refuses the query (its message is
printed), 2 on a usage error.`;

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const parseSqlArgs = (argv: readonly string[], stdinIsTty: boolean): Result<SqlArgs, string[]> => {
  let parsed: ReturnType<typeof parseSqlOptions>;
  try {
    parsed = parseSqlOptions(argv);
  } catch (e) {
    return { ok: false, error: [e instanceof Error ? e.message : String(e)] };
  }
  const { values, positionals } = parsed;
  if (values.help === true) return { ok: true, value: { help: true } };
  const problems: string[] = [];
  const params: Record<string, string> = {};
  for (const p of values.param ?? []) {
    const eq = p.indexOf('=');
    const name = eq < 0 ? p : p.slice(0, eq);
    if (eq < 0 || !PARAM_NAME.test(name)) problems.push(`--param ${p}: expected name=value with a name of letters, digits and _`);
    else if (name in params) problems.push(`--param ${name} is given twice`);
    else params[name] = p.slice(eq + 1);
  }
  const format = values.format ?? 'table';
  if (!(OUTPUT_FORMATS as readonly string[]).includes(format)) problems.push(`--format ${format}: one of ${OUTPUT_FORMATS.join(', ')}`);
  const text = positionals.join(' ').trim();
  const file = values.file;
  let source: QuerySource | undefined;
  if (text !== '' && file !== undefined) problems.push('give the query as text or with --file, not both');
  else if (text !== '') source = { kind: 'text', sql: text };
  else if (file === '-') source = { kind: 'stdin' };
  else if (file !== undefined) source = { kind: 'file', path: file };
  else if (!stdinIsTty) source = { kind: 'stdin' };
  else problems.push('no query: give it as text, with --file, or on standard input');
  const out = values.out ?? null;
  if (format === 'Parquet' && out === null) problems.push('--format Parquet is binary: give --out PATH');
  if (problems.length > 0 || source === undefined) return { ok: false, error: problems };
  return { ok: true, value: { help: false, request: { source, params, format: format as OutputFormat, out } } };
};

const parseSqlOptions = (argv: readonly string[]) =>
  parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      param: { type: 'string', multiple: true },
      file: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });

/** One statement as the server wants it: trailing semicolons and whitespace dropped. */
export const statementOf = (sql: string): string => sql.trim().replace(/;\s*$/, '').trim();
