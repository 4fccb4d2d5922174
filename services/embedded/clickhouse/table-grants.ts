/**
 * Per-table grants of the embedded server, as ClickHouse's users.xml `<grants><query>GRANT ...`
 * lines: a user with a `grants` list in the users file may SELECT only from the tables (and views)
 * granted SELECT, and INSERT rows only into the tables granted INSERT; nothing else (no DDL, no
 * SHOW, no INSERT ... SELECT). A user without the list keeps the whole database, as before.
 *
 * The decision is taken from the engine's own analysis of the statement, never from our lexing:
 * for a SELECT, `EXPLAIN QUERY TREE` (which resolves CTEs, the current database, `IN table`,
 * scalar subqueries and UNIONs to the real table names, `table_name: db.table`); for an INSERT,
 * `EXPLAIN AST` (its target as `Identifier db` / `Identifier table`). A view is checked by its
 * own name, so granting a view lets the user read through it without a grant on its tables (the
 * views are the migrations', and a user with grants cannot create one). Pure.
 */
import { err, ok, type Result } from '../../platform/result.ts';
import { tokens } from './sql-inspect.ts';

export const Privileges = { select: 'SELECT', insert: 'INSERT' } as const;
export type Privilege = keyof typeof Privileges;

/** Granted objects per privilege: `db.table`, `db.*` or `*.*`. */
export type TableGrants = Readonly<Record<Privilege, ReadonlySet<string>>>;

const GRANT_RE = /^\s*GRANT\s+(.+?)\s+ON\s+([A-Za-z0-9_*]+)\.([A-Za-z0-9_*]+)\s*$/i;

/** Parses `GRANT SELECT, INSERT ON db.table` lines (db and table may be `*`). */
export const parseGrants = (lines: readonly unknown[]): Result<TableGrants, string> => {
  const select = new Set<string>();
  const insert = new Set<string>();
  const problems: string[] = [];
  for (const line of lines) {
    const m = typeof line === 'string' ? GRANT_RE.exec(line) : null;
    const db = m?.[2];
    const table = m?.[3];
    if (m === null || db === undefined || table === undefined || (db === '*' && table !== '*') || (table.includes('*') && table !== '*') || (db.includes('*') && db !== '*')) {
      problems.push(`grant ${JSON.stringify(line)} must read GRANT SELECT|INSERT[, ...] ON <db>.<table|*>`);
      continue;
    }
    for (const p of (m[1] ?? '').split(',').map((s) => s.trim().toUpperCase())) {
      if (p === 'SELECT') select.add(`${db}.${table}`);
      else if (p === 'INSERT') insert.add(`${db}.${table}`);
      else problems.push(`grant ${JSON.stringify(line)}: only SELECT and INSERT can be granted per table (not ${p})`);
    }
  }
  return problems.length > 0 ? err(problems.join('; ')) : ok({ select, insert });
};

/**
 * System tables every user may read, as ClickHouse keeps some always readable: `system.one`
 * is what a SELECT without FROM reads, the rest describe the engine, not anyone's data.
 */
const ALWAYS_READABLE: ReadonlySet<string> = new Set([
  'system.one', 'system.numbers', 'system.numbers_mt', 'system.zeros', 'system.zeros_mt',
  'system.functions', 'system.formats', 'system.time_zones', 'system.data_type_families', 'system.collations',
]);

/** Table functions a user with grants may call: they make rows from their arguments, never from a table. */
const GRANTED_TABLE_FUNCTIONS: ReadonlySet<string> = new Set([
  'numbers', 'numbers_mt', 'zeros', 'zeros_mt', 'generaterandom', 'generateseries', 'generate_series', 'primes', 'values', 'null', 'format',
]);

/** Functions that read a table named by a string argument, which the query tree does not show as a table. */
const TABLE_READING_FUNCTIONS = /^(joinget|joingetornull|hascolumnintable|dictget\w*|dicthas|dictisin|getsubcolumn_?from_?table)$/i;

export const allows = (grants: TableGrants, privilege: Privilege, table: string): boolean => {
  const set = grants[privilege];
  const dot = table.indexOf('.');
  return set.has(table) || set.has('*.*') || (dot > 0 && set.has(`${table.slice(0, dot)}.*`));
};

const missing = (user: string, privilege: Privilege, table: string): string =>
  `${user}: Not enough privileges. To execute this query, it's necessary to have the grant ${Privileges[privilege]} ON ${table}`;

/**
 * The refusal for a SELECT's query tree (`EXPLAIN QUERY TREE` as TabSeparatedRaw), or undefined.
 * A tree that does not look like one (another output format slipped in) is refused: fail closed.
 */
export const queryTreeRefusal = (user: string, grants: TableGrants, tree: string): string | undefined => {
  const head = tree.trimStart();
  if (!/^(QUERY|UNION) id: /.test(head)) return `${user}: the statement could not be checked against the user's grants`;
  for (const line of head.split('\n')) {
    const tableFunction = /\bTABLE_FUNCTION id: \d+, .*\btable_function_name: ([^,\s]+)/.exec(line)?.[1];
    if (tableFunction !== undefined && !GRANTED_TABLE_FUNCTIONS.has(tableFunction.toLowerCase())) {
      return `${user}: table function ${tableFunction}() is refused for users with table grants: it reads tables the grants do not name`;
    }
    const fn = /\bFUNCTION id: \d+, function_name: ([^,\s]+)/.exec(line)?.[1];
    if (fn !== undefined && TABLE_READING_FUNCTIONS.test(fn)) return `${user}: ${fn}() is refused for users with table grants: it reads a table named by a string`;
    const table = /\bTABLE id: \d+, .*\btable_name: ([^,\s]+)/.exec(line)?.[1];
    if (table !== undefined && !ALWAYS_READABLE.has(table) && !allows(grants, 'select', table)) return missing(user, 'select', table);
  }
  return undefined;
};

/** The kinds of statement a user with grants may send, by the first word. */
export type GrantedStatement = 'select' | 'insert' | 'set' | 'use';

export const grantedStatement = (sql: string): GrantedStatement | undefined => {
  for (const t of tokens(sql)) {
    if (t.text === '(') continue;
    const w = t.kind === 'word' ? t.text.toUpperCase() : '';
    if (w === 'SELECT' || w === 'WITH') return 'select';
    if (w === 'INSERT') return 'insert';
    if (w === 'SET') return 'set';
    if (w === 'USE') return 'use';
    return undefined;
  }
  return undefined;
};

export const statementRefusal = (user: string): string =>
  `${user}: Not enough privileges. A user with table grants may only SELECT from and INSERT rows into its granted tables`;

/**
 * The refusal for an INSERT from its AST (`EXPLAIN AST`), or undefined. `currentDatabase` names
 * the table when the statement does not. Only row inserts are allowed: not INSERT ... SELECT
 * (its SELECT would need its own check), not INSERT INTO FUNCTION, and not the Values format,
 * whose expressions run subqueries over any table (`VALUES ((SELECT ... FROM secrets))`).
 */
export const insertRefusal = (user: string, grants: TableGrants, ast: string, currentDatabase: string, format: string | undefined): string | undefined => {
  const children = ast.split('\n').filter((l) => /^ \S/.test(l)).map((l) => l.trim());
  if (!/^InsertQuery\b/.test(ast.trimStart())) return `${user}: the statement could not be checked against the user's grants`;
  if (children.some((c) => c.startsWith('Function '))) return `${user}: INSERT INTO FUNCTION is refused for users with table grants`;
  if (children.some((c) => c.startsWith('SelectWithUnionQuery') || c.startsWith('SelectIntersectExceptQuery'))) {
    return `${user}: INSERT ... SELECT is refused for users with table grants: send the rows in the request body`;
  }
  if (format === undefined || format.toLowerCase() === 'values') {
    return `${user}: INSERT ... VALUES is refused for users with table grants (its expressions may read any table): send the rows in a data format such as JSONEachRow or RowBinary`;
  }
  const names = children.filter((c) => c.startsWith('Identifier ')).slice(0, 2).map((c) => c.slice('Identifier '.length));
  const table = names.length === 2 ? `${names[0] ?? ''}.${names[1] ?? ''}` : names.length === 1 ? `${currentDatabase}.${names[0] ?? ''}` : undefined;
  if (table === undefined) return `${user}: the statement could not be checked against the user's grants`;
  return allows(grants, 'insert', table) ? undefined : missing(user, 'insert', table);
};

/**
 * The data format an INSERT names: `FORMAT <name>`, `Values` for a VALUES clause, undefined for
 * INSERT ... SELECT or when none is named (the engine then reads Values).
 */
export const insertFormat = (prefix: string): string | undefined => {
  let depth = 0;
  let next = false;
  for (const t of tokens(prefix)) {
    if (next) return t.kind === 'ident' ? t.text.slice(1, -1) : t.text;
    if (t.text === '(') depth++;
    else if (t.text === ')') depth--;
    else if (depth === 0 && t.kind === 'word') {
      const w = t.text.toUpperCase();
      if (w === 'FORMAT') next = true;
      else if (w === 'VALUES') return 'Values';
      else if (w === 'SELECT' || w === 'WITH') return undefined;
    }
  }
  return undefined;
};

/** Removes a top-level `FORMAT <name>` clause, so EXPLAIN answers in the format asked of it. */
export const withoutFormat = (sql: string): string => {
  let depth = 0;
  const all = [...tokens(sql)];
  for (let i = 0; i < all.length; i++) {
    const t = all[i];
    if (t === undefined) break;
    if (t.text === '(') depth++;
    else if (t.text === ')') depth--;
    else if (depth === 0 && t.kind === 'word' && t.text.toUpperCase() === 'FORMAT') {
      const name = all[i + 1];
      if (name === undefined) return sql;
      return `${sql.slice(0, t.start)} ${sql.slice(name.end)}`;
    }
  }
  return sql;
};
