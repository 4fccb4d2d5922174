/**
 * Applies `infra/clickhouse/migrations/*.sql` through any ClickHouse HTTP endpoint, in name
 * order, each once, recording them in `default.schema_migrations`. Safe to run repeatedly and
 * from several processes in turn (not concurrently).
 *
 * CLI: `npx tsx services/embedded/clickhouse/migrate.ts` migrates CLICKHOUSE_URL (credentials may be in
 * the URL, e.g. http://ingest:ingest@127.0.0.1:8123).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { parseConfig } from '../../platform/config.ts';
import { describeError } from '../../platform/errors.ts';
import { checksumOf, pendingMigrations, splitStatements, type AppliedMigration, type MigrationFile } from '../../platform/clickhouse-migration-plan.ts';

export const defaultMigrationsDir = join('infra', 'clickhouse', 'migrations');

const readMigrations = async (dir: string): Promise<MigrationFile[]> => {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.sql')).sort();
  return Promise.all(names.map(async (name) => ({ name, sql: await readFile(join(dir, name), 'utf8') })));
};

/** Applies what is pending and returns the names applied now (empty when up to date). */
export const migrate = async (client: ClickHouseClient, dir: string = defaultMigrationsDir): Promise<string[]> => {
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS default.schema_migrations
      (name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
      ENGINE = MergeTree ORDER BY name`,
  });
  const rs = await client.query({ query: 'SELECT name, checksum FROM default.schema_migrations ORDER BY name', format: 'JSONEachRow' });
  const applied = await rs.json<AppliedMigration>();
  const plan = pendingMigrations(await readMigrations(dir), applied);
  if (!plan.ok) throw new Error(plan.error);
  const done: string[] = [];
  for (const m of plan.value) {
    for (const statement of splitStatements(m.sql)) await client.command({ query: statement });
    await client.insert({ table: 'default.schema_migrations', values: [{ name: m.name, checksum: checksumOf(m.sql) }], format: 'JSONEachRow' });
    done.push(m.name);
  }
  return done;
};

const cli = async (): Promise<void> => {
  const config = parseConfig(process.env);
  const client = createClient({ url: config.clickhouseUrl });
  try {
    const applied = await migrate(client, resolve(defaultMigrationsDir));
    process.stdout.write(applied.length === 0 ? 'clickhouse migrations: up to date\n' : `clickhouse migrations applied: ${applied.join(', ')}\n`);
  } finally {
    await client.close();
  }
};

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  cli().catch((e: unknown) => {
    process.stderr.write(`clickhouse migrations failed: ${describeError(e)}\n`);
    process.exit(1);
  });
}
