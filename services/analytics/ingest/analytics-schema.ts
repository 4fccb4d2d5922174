/**
 * The analytics schema (infra/clickhouse/migrations 002 and later) applied to a database of any
 * name: tests and benchmarks use a fresh database each, so they never collide with each other or
 * with `gridfleet`, which the migration runner owns. Production uses the runner, never this.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { splitStatements } from '../../platform/clickhouse-migration-plan.ts';
import { REPO_ROOT } from '../../platform/repo-root.ts';

export const MIGRATIONS_DIR = join(REPO_ROOT, 'infra/clickhouse/migrations');

/** The statements of the analytics migrations with `gridfleet.` renamed to `<database>.`. Pure on its inputs. */
export const renameDatabase = (sql: string, database: string): string => sql.replace(/\bgridfleet\./g, `${database}.`);

export const analyticsStatements = async (database: string, dir = MIGRATIONS_DIR): Promise<string[]> => {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.sql') && !n.startsWith('001-')).sort();
  const out: string[] = [];
  for (const n of names) out.push(...splitStatements(renameDatabase(await readFile(join(dir, n), 'utf8'), database)));
  return out;
};

/** Creates `database` and every analytics table and view in it (idempotent). */
export const applyAnalyticsSchema = async (client: ClickHouseClient, database: string): Promise<void> => {
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  for (const q of await analyticsStatements(database)) await client.command({ query: q });
};
