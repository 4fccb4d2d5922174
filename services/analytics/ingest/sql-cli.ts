/**
 * `npm run sql`: one query as the read-only analyst (see SQL_USAGE in sql-args.ts for the options).
 * Connects to CLICKHOUSE_URL with database SQL_DATABASE (gridfleet) as SQL_USER / SQL_PASSWORD
 * (analyst / analyst). Exit 1 with ClickHouse's message when the query fails, 2 on a usage error.
 */
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { parseConfig } from '../../platform/config.ts';
import { describeError } from '../../platform/errors.ts';
import { formatTable } from '../../platform/format-table.ts';
import { parseSqlArgs, SQL_USAGE, statementOf, type QuerySource } from './sql-args.ts';

const readStdin = async (): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

const queryText = async (source: QuerySource): Promise<string> =>
  source.kind === 'text' ? source.sql : source.kind === 'file' ? readFile(source.path, 'utf8') : readStdin();

const main = async (argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> => {
  const args = parseSqlArgs(argv, process.stdin.isTTY === true);
  if (!args.ok) {
    process.stderr.write(`${args.error.join('\n')}\n\n${SQL_USAGE}\n`);
    return 2;
  }
  if (args.value.help) {
    process.stdout.write(`${SQL_USAGE}\n`);
    return 0;
  }
  const { request } = args.value;
  const query = statementOf(await queryText(request.source));
  if (query === '') {
    process.stderr.write(`the query is empty\n\n${SQL_USAGE}\n`);
    return 2;
  }
  const config = parseConfig(env);
  const client = createClient({
    url: config.clickhouseUrl,
    username: env['SQL_USER'] ?? 'analyst',
    password: env['SQL_PASSWORD'] ?? 'analyst',
    database: env['SQL_DATABASE'] ?? 'gridfleet',
    log: { level: ClickHouseLogLevel.OFF },
  });
  try {
    if (request.format === 'table') {
      const rs = await client.query({ query, format: 'JSONCompactEachRowWithNames', query_params: request.params });
      const [names, ...rows] = await rs.json<unknown[]>();
      process.stdout.write(formatTable((names ?? []).map(String), rows) + '\n');
      return 0;
    }
    // Every other format is the server's own bytes, streamed through untouched.
    const rs = await client.exec({ query: `${query}\nFORMAT ${request.format}`, query_params: request.params });
    await pipeline(rs.stream, request.out === null ? process.stdout : createWriteStream(request.out));
    if (request.out !== null) process.stderr.write(`wrote ${request.format} to ${request.out}\n`);
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
