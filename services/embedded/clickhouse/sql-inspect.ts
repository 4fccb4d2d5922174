/**
 * Just enough lexing of ClickHouse SQL for the HTTP layer: what kind of statement a query is,
 * which output format it names, and where an INSERT's inline data begins. The engine parses the
 * SQL for real; this never rewrites it. Pure.
 */

export type StatementKind = 'select' | 'insert' | 'other';

export interface Token {
  readonly kind: 'word' | 'string' | 'ident' | 'punct';
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

/** Tokens of `sql` (comments and whitespace skipped), lazily, so a caller can stop before binary data. */
export function* tokens(sql: string): Generator<Token> {
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i] ?? '';
    if (/\s/.test(c)) {
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      while (i < n && sql[i] !== '\n') i++;
    } else if (c === '#' && (sql[i + 1] === ' ' || sql[i + 1] === '!')) {
      while (i < n && sql[i] !== '\n') i++;
    } else if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      i = close < 0 ? n : close + 2;
    } else if (c === "'" || c === '"' || c === '`') {
      const start = i++;
      while (i < n) {
        const d = sql[i];
        if (d === '\\') i += 2;
        else if (d === c && sql[i + 1] === c) i += 2;
        else if (d === c) {
          i++;
          break;
        } else i++;
      }
      yield { kind: c === "'" ? 'string' : 'ident', text: sql.slice(start, i), start, end: i };
    } else if (/[A-Za-z_]/.test(c)) {
      const start = i;
      while (i < n && /[A-Za-z0-9_]/.test(sql[i] ?? '')) i++;
      yield { kind: 'word', text: sql.slice(start, i), start, end: i };
    } else {
      yield { kind: 'punct', text: c, start: i, end: i + 1 };
      i++;
    }
  }
}

const firstWord = (sql: string): string | undefined => {
  for (const t of tokens(sql)) {
    if (t.kind === 'word') return t.text.toUpperCase();
    if (t.text !== '(') return undefined;
  }
  return undefined;
};

/** SELECT and WITH queries return rows and may stream; INSERT may carry data; the rest run once. */
export const statementKind = (sql: string): StatementKind => {
  const w = firstWord(sql);
  if (w === 'SELECT' || w === 'WITH') return 'select';
  if (w === 'INSERT') return 'insert';
  return 'other';
};

/** The format a query names with a top-level `FORMAT <name>` clause, if any. */
export const namedFormat = (sql: string): string | undefined => {
  let depth = 0;
  let found: string | undefined;
  let expectName = false;
  for (const t of tokens(sql)) {
    if (expectName) {
      expectName = false;
      if (t.kind === 'word' || t.kind === 'ident') found = t.kind === 'ident' ? t.text.slice(1, -1) : t.text;
    }
    if (t.text === '(') depth++;
    else if (t.text === ')') depth--;
    else if (depth === 0 && t.kind === 'word' && t.text.toUpperCase() === 'FORMAT') expectName = true;
  }
  return found;
};

export interface InsertSplit {
  /** The INSERT statement up to and including its format name. */
  readonly query: string;
  /** Offset (in the same string) where inline data starts. */
  readonly dataOffset: number;
  readonly format: string;
}

/**
 * For `INSERT ... FORMAT <name> <data>`, where the data begins: after the format name, spaces or
 * tabs, and at most one line break. Pass text decoded as latin1 so offsets equal byte offsets.
 * Undefined when the statement has no FORMAT clause (VALUES or SELECT inserts).
 */
export const splitInsert = (text: string): InsertSplit | undefined => {
  let depth = 0;
  let sawFormat = false;
  let first = true;
  for (const t of tokens(text)) {
    if (first) {
      if (t.kind !== 'word' || t.text.toUpperCase() !== 'INSERT') return undefined;
      first = false;
      continue;
    }
    if (sawFormat) {
      if (t.kind !== 'word') return undefined;
      let i = t.end;
      while (text[i] === ' ' || text[i] === '\t') i++;
      if (text[i] === '\r' && text[i + 1] === '\n') i += 2;
      else if (text[i] === '\n') i++;
      return { query: text.slice(0, t.end), dataOffset: i, format: t.text };
    }
    if (t.text === '(') depth++;
    else if (t.text === ')') depth--;
    else if (depth === 0 && t.kind === 'word') {
      const w = t.text.toUpperCase();
      if (w === 'FORMAT') sawFormat = true;
      else if (w === 'VALUES' || w === 'SELECT') return undefined;
    }
  }
  return undefined;
};

/** Whether the text is nothing but whitespace, comments and semicolons. */
export const isBlank = (sql: string): boolean => {
  for (const t of tokens(sql)) if (t.text !== ';') return false;
  return true;
};

/** How the engine should read the file: its compression, and settings the insert must run with (they win over the query's own). */
export interface InfileOptions {
  readonly compression?: string;
  readonly settings?: string;
}

/**
 * Rewrites an INSERT that takes inline data so the engine reads that data from a file instead:
 * `INSERT INTO t (c) [SETTINGS ..] FORMAT F` becomes `INSERT INTO t (c) FROM INFILE '<path>'
 * [COMPRESSION 'c'] [SETTINGS .., <opts.settings>] FORMAT F` (and `VALUES` becomes `FORMAT
 * Values`). Undefined for INSERT ... SELECT.
 * Why a file: libchdb ends inline insert data at the first blank line and runs what follows as
 * SQL, which silently drops binary rows and would execute text smuggled into a body.
 */
export const infileInsert = (prefix: string, path: string, opts: InfileOptions = {}): string | undefined => {
  const from = ` FROM INFILE ${sqlString(path)}${opts.compression === undefined ? '' : ` COMPRESSION ${sqlString(opts.compression)}`}`;
  const ours = opts.settings;
  let depth = 0;
  let first = true;
  for (const t of tokens(prefix)) {
    if (first) {
      if (t.kind !== 'word' || t.text.toUpperCase() !== 'INSERT') return undefined;
      first = false;
      continue;
    }
    if (t.text === '(') depth++;
    else if (t.text === ')') depth--;
    else if (depth === 0 && t.kind === 'word') {
      const w = t.text.toUpperCase();
      if (w === 'SELECT' || w === 'WITH') return undefined;
      if (w === 'SETTINGS') return withSettings(`${prefix.slice(0, t.start).trimEnd()}${from} `, prefix.slice(t.start), ours);
      if (w === 'FORMAT') {
        const extra = ours === undefined ? ' ' : ` SETTINGS ${ours} `;
        return `${prefix.slice(0, t.start).trimEnd()}${from}${extra}${prefix.slice(t.start)}`;
      }
      if (w === 'VALUES') return `${prefix.slice(0, t.start).trimEnd()}${from}${ours === undefined ? '' : ` SETTINGS ${ours}`} FORMAT Values`;
    }
  }
  return `${prefix.trimEnd()}${from}${ours === undefined ? '' : ` SETTINGS ${ours}`}`;
};

/** `SETTINGS a=1 [FORMAT F]` with `ours` appended to the list, so ours win. */
const withSettings = (head: string, rest: string, ours: string | undefined): string => {
  if (ours === undefined) return `${head}${rest}`;
  for (const t of tokens(rest)) {
    if (t.kind === 'word' && t.text.toUpperCase() === 'FORMAT') return `${head}${rest.slice(0, t.start).trimEnd()}, ${ours} ${rest.slice(t.start)}`;
  }
  return `${head}${rest.trimEnd()}, ${ours}`;
};

/** A value as a quoted SQL string literal (backslashes and single quotes escaped). */
export const sqlString = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
