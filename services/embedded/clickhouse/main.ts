/**
 * `npx tsx services/embedded/clickhouse/main.ts`: the embedded ClickHouse server. Wiring only: config,
 * users, logger, server, signals. Exits 0 after SIGTERM/SIGINT once the engine is closed (data
 * flushed); exits 1 with a clear message when it cannot start (port taken, bad users file).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { configInvalid, describeError } from '../../platform/errors.ts';
import { createLogger } from '../../platform/logger.ts';
import { PUBLISHED_SECRETS } from '../../platform/production-checks.ts';
import { failStartup } from '../../platform/startup.ts';
import { parseClickhouseServerConfig } from './config.ts';
import { startClickhouseServer } from './clickhouse-http-server.ts';
import { maxStreamedInserts } from './threadpool.ts';
import { parseUsers, productionProblems } from './users.ts';

const main = async (): Promise<void> => {
  const config = parseClickhouseServerConfig(process.env);
  const log = createLogger(config.logLevel, { service: 'clickhouse' });
  let usersJson: unknown;
  try {
    usersJson = JSON.parse(readFileSync(config.usersFile, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read users file ${config.usersFile}: ${describeError(e)}`, { cause: e });
  }
  const users = parseUsers(usersJson);
  if (!users.ok) throw configInvalid('ClickHouse server', [`users file ${config.usersFile} is invalid: ${users.error}`]);
  if (config.environment === 'production') {
    const problems = productionProblems(users.value, PUBLISHED_SECRETS);
    if (problems.length > 0) throw configInvalid('ClickHouse server', problems.map((p) => `${config.usersFile}: ${p}`));
  }
  const dataDir = resolve(config.dataDir);
  const spoolDir = resolve(config.spoolDir);
  // The engine's default database reads a table named by a relative path as a file in the working
  // directory; an empty one leaves it nothing to read (absolute paths are refused, host-access.ts).
  const emptyDir = join(dirname(dataDir), 'cwd');
  mkdirSync(emptyDir, { recursive: true });
  process.chdir(emptyDir);
  const server = await startClickhouseServer({ ...config, dataDir, spoolDir, users: users.value, log, maxStreamedInserts: maxStreamedInserts(process.env) });
  const shutdown = (signal: string): void => {
    log.info('shutting down', { signal });
    server.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        log.error('shutdown failed', { error: describeError(e) });
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
};

// Each running query or stream fetch holds a libuv pool thread; the default 4 would cap
// concurrency. Must be set before the pool first starts, which is after this line.
process.env['UV_THREADPOOL_SIZE'] ??= '16';

main().catch(failStartup('clickhouse'));
