/**
 * Which migrations to apply: files named `NNN-name.sql`, applied in name order, each once. An
 * applied file must not change afterwards (its checksum is recorded). Pure.
 */
import { createHash } from 'node:crypto';
import { err, ok, type Result } from './result.ts';

export interface MigrationFile {
  readonly name: string;
  readonly sql: string;
}

export interface AppliedMigration {
  readonly name: string;
  readonly checksum: string;
}

export const checksumOf = (sql: string): string => createHash('sha256').update(sql, 'utf8').digest('hex');

/** Migrations still to apply, in order; an error if an applied one was edited or removed. */
export const pendingMigrations = (files: readonly MigrationFile[], applied: readonly AppliedMigration[]): Result<MigrationFile[], string> => {
  const byName = new Map(files.map((f) => [f.name, f]));
  for (const a of applied) {
    const f = byName.get(a.name);
    if (!f) return err(`migration ${a.name} was applied but its file is gone`);
    if (checksumOf(f.sql) !== a.checksum) return err(`migration ${a.name} changed after it was applied; add a new migration instead`);
  }
  const done = new Set(applied.map((a) => a.name));
  return ok([...files].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0)).filter((f) => !done.has(f.name)));
};

/** Splits a migration into statements at `;` outside strings, quoted names and comments. */
export const splitStatements = (sql: string): string[] => {
  const out: string[] = [];
  let cur = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] ?? '';
    if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      i = close < 0 ? sql.length : close + 2;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < sql.length && sql[j] !== c) j += sql[j] === '\\' ? 2 : 1;
      cur += sql.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === ';') {
      if (cur.trim() !== '') out.push(cur.trim());
      cur = '';
    } else cur += c;
    i++;
  }
  if (cur.trim() !== '') out.push(cur.trim());
  return out;
};
