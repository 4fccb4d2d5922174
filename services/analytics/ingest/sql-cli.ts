/**
 * `npm run sql -- "<query>"`: runs one query as the read-only analyst and prints a table.
 * Connects to CLICKHOUSE_URL (default http://127.0.0.1:8123) with database gridfleet; the user is
 * SQL_USER / SQL_PASSWORD (default analyst / analyst). `--format=<ClickHouse format>` prints the
 * server's output instead of a table (e.g. --format=CSVWithNames). Exit 1 with ClickHouse's
 * message when the query fails.
 */
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { parseConfig } from '../../platform/config.ts';
import { describeError } from '../../platform/errors.ts';
import { formatTable } from './format-table.ts';

const USAGE = 'usage: npm run sql -- "<query>" [--format=<ClickHouse format>]\n  e.g. npm run sql -- "SELECT region_id, sum(solar_kwh) FROM region_hourly GROUP BY region_id"\n';

const main = async (argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> => {
  const format = argv.find((a) => a.startsWith('--format='))?.slice('--format='.length);
  const query = argv.filter((a) => !a.startsWith('--')).join(' ').trim();
  if (query === '') {
    process.stderr.write(USAGE);
    return 2;
  }
  const config = parseConfig(env);
  const client = createClient({ url: config.clickhouseUrl, username: env['SQL_USER'] ?? 'analyst', password: env['SQL_PASSWORD'] ?? 'analyst', database: 'gridfleet', log: { level: ClickHouseLogLevel.OFF } });
  try {
    if (format !== undefined) {
      const rs = await client.query({ query: query.replace(/;\s*$/, ''), format: format as 'JSONEachRow' });
      process.stdout.write(await rs.text());
      return 0;
    }
    const rs = await client.query({ query: query.replace(/;\s*$/, ''), format: 'JSONCompactEachRowWithNames' });
    const [names, ...rows] = await rs.json<unknown[]>();
    process.stdout.write(formatTable((names ?? []).map(String), rows) + '\n');
    return 0;
  } catch (e) {
    process.stderr.write(`${describeError(e)}\n`);
    return 1;
  } finally {
    await client.close();
  }
};

main(process.argv.slice(2), process.env).then((code) => process.exit(code), (e: unknown) => {
  process.stderr.write(`${describeError(e)}\n`);
  process.exit(1);
});
