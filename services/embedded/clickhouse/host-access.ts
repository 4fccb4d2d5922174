/**
 * What no user of the embedded server may do: reach the host's files, its network or the process
 * itself through SQL. The engine is clickhouse-local (chDB), which trusts its caller like a shell:
 * `file()`, `url()`, `s3()` and the other table functions read and write anywhere, its `default`
 * database falls back to reading files by path (`SELECT * FROM `/etc/passwd``), and
 * `user_files_path` is ignored. So the HTTP front refuses such statements before the engine sees
 * them, for every user, from ClickHouse's own parse of the statement (`EXPLAIN AST`) plus a few
 * clauses the AST does not name (INFILE, OUTFILE). Ingest's streamed inserts still use `FROM
 * INFILE`, but that clause is added by the server after this check (streamed-insert.ts). Pure.
 */
import { tokens } from './sql-inspect.ts';

/** Table functions that touch only the engine's own data or the query's literals. */
const SAFE_TABLE_FUNCTIONS: ReadonlySet<string> = new Set([
  'numbers', 'numbers_mt', 'zeros', 'zeros_mt', 'generaterandom', 'generateseries', 'generate_series', 'primes',
  'values', 'sqlstandardvalues', 'null', 'view', 'viewifpermitted', 'viewexplain', 'merge', 'format', 'input', 'loop',
  'fuzzjson', 'fuzzquery',
]);

/** Table engines and database engines that keep their data in the engine's own data directory. */
const SAFE_ENGINES: ReadonlySet<string> = new Set([
  'Memory', 'Log', 'TinyLog', 'StripeLog', 'Null', 'Set', 'Join', 'Buffer', 'Merge', 'GenerateRandom', 'EmbeddedRocksDB',
  'Atomic', 'Ordinary', 'Lazy',
]);

/** SYSTEM commands that only flush, drop caches or pause background work; the rest (SHUTDOWN, KILL, RELOAD, ...) are refused. */
const SAFE_SYSTEM: ReadonlySet<string> = new Set(['FLUSH', 'DROP', 'SYNC', 'STOP', 'START', 'WAIT']);

/** Statements refused whole: they read or write host paths, or attach data from them. */
const REFUSED_STATEMENTS: ReadonlySet<string> = new Set(['BACKUP', 'RESTORE', 'ATTACH']);

/**
 * Settings whose value is a path or URL the engine opens: the Template format's files (an error
 * quotes the file, /etc/passwd included), schema files, the files `output_format_schema` and
 * `input_format_record_errors_file_path` write, and the Avro registry URL the engine fetches.
 * Refused by name wherever they appear: in the SQL (SET, SETTINGS) and as request parameters.
 */
export const HOST_SETTINGS: ReadonlySet<string> = new Set([
  'format_template_resultset', 'format_template_row', 'format_schema', 'format_schema_source', 'output_format_schema',
  'input_format_record_errors_file_path', 'format_avro_schema_registry_url',
]);

export const hostSettingRefusal = (name: string): string =>
  `setting ${name} is refused for every user: its value names a file or URL on the server's host (use the inline *_format settings or send the schema otherwise)`;

const isSafeEngine = (name: string): boolean => SAFE_ENGINES.has(name) || name.endsWith('MergeTree');

/**
 * The table functions to refuse: every one the engine knows (from `system.table_functions`) except
 * the safe list. Deriving it from the engine means a function added by a newer chDB is refused
 * until someone decides it is safe.
 */
export const deniedTableFunctions = (engineTableFunctions: readonly string[]): ReadonlySet<string> =>
  new Set(engineTableFunctions.map((n) => n.toLowerCase()).filter((n) => !SAFE_TABLE_FUNCTIONS.has(n)));

/**
 * Refusals found from the SQL text alone: more than one statement, `INTO OUTFILE`, `FROM INFILE`,
 * BACKUP, RESTORE, ATTACH, SYSTEM commands other than the safe ones, and the HOST_SETTINGS.
 * Undefined when none.
 */
export const lexicalRefusal = (sql: string): string | undefined => {
  const all = [...tokens(sql)];
  const end = all.findIndex((t) => t.text === ';');
  if (end >= 0 && all.slice(end).some((t) => t.text !== ';')) return 'multi-statements are not allowed: send one statement per request';
  const words = (end >= 0 ? all.slice(0, end) : all).map((t) => ({ word: t.kind === 'word' ? t.text.toUpperCase() : '', kind: t.kind }));
  const [first, second] = words.map((w) => w.word);
  // `INTO OUTFILE '<path>'` and `FROM INFILE '<path>'`: the keyword pair followed by a path string.
  for (let i = 1; i + 1 < words.length; i++) {
    const pair = `${words[i - 1]?.word ?? ''} ${words[i]?.word ?? ''}`;
    if (words[i + 1]?.kind !== 'string') continue;
    if (pair === 'INTO OUTFILE') return 'INTO OUTFILE is refused: the embedded server never writes files on its host; read the result from the HTTP response';
    if (pair === 'FROM INFILE') return 'FROM INFILE is refused: the embedded server never reads files on its host; send the data as the request body';
  }
  // A setting may be named bare or quoted (`format_template_row` = ...): both are looked for.
  const named = all.map((t) => (t.kind === 'word' ? t.text : t.kind === 'ident' ? t.text.slice(1, -1) : '').toLowerCase());
  const hostSetting = named.find((n) => HOST_SETTINGS.has(n));
  if (hostSetting !== undefined) return hostSettingRefusal(hostSetting);
  if (first !== undefined && REFUSED_STATEMENTS.has(first)) return `${first} is refused: it reads or writes paths on the server's host`;
  if (first === 'SYSTEM' && (second === undefined || !SAFE_SYSTEM.has(second))) {
    return `SYSTEM ${second || '(no command)'} is refused by the embedded server (allowed: SYSTEM ${[...SAFE_SYSTEM].join(', ')})`;
  }
  return undefined;
};

interface AstLine {
  readonly depth: number;
  readonly label: string;
}

const astLines = (ast: string): AstLine[] =>
  ast
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => ({ depth: l.length - l.trimStart().length, label: l.trim() }));

/** `Function file (alias f) (children 1)` -> `file`. */
const functionName = (label: string): string | undefined => /^Function (\S+)/.exec(label)?.[1];

/**
 * Refusals found in ClickHouse's parse tree (`EXPLAIN AST` text): a table function (or the scalar
 * `file()`) from `denied`, an engine outside the safe list, a dictionary (its sources read files,
 * URLs and executables), and a table named by a path (the `default` database reads it as a file).
 */
export const astRefusal = (ast: string, denied: ReadonlySet<string>): string | undefined => {
  const lines = astLines(ast);
  for (let i = 0; i < lines.length; i++) {
    const { label, depth } = lines[i] as AstLine;
    const fn = functionName(label);
    if (fn !== undefined && denied.has(fn.toLowerCase())) {
      return `${fn}() is refused for every user: it reaches the server's host files, network or processes`;
    }
    if (label.startsWith('Storage definition')) {
      const engine = lines[i + 1];
      const name = engine !== undefined && engine.depth > depth ? functionName(engine.label) : undefined;
      if (name !== undefined && !isSafeEngine(name)) return `ENGINE = ${name} is refused: only engines that keep data inside the server (MergeTree family, Memory, Log, ...) are allowed`;
    }
    if (label.startsWith('Dictionary definition')) return 'dictionaries are refused by the embedded server: their sources read host files, URLs and programs';
    const table = /^TableIdentifier (\S+)/.exec(label)?.[1];
    if (table !== undefined && table.includes('/')) return `table ${table} is refused: names with "/" are read as host file paths by the engine`;
  }
  return undefined;
};
