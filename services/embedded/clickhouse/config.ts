/**
 * The embedded ClickHouse server's configuration, parsed once from the environment. The shared
 * fields (port, state directory, log level) come from the platform config so the stack and this
 * server agree on them; the rest is specific to this server.
 */
import { join } from 'node:path';
import { envReader, parseEnvironment, parsePlatformInto } from '../../platform/config.ts';
import { configInvalid } from '../../platform/errors.ts';
import { parseListener } from '../../platform/listener-config.ts';
import type { LogLevel } from '../../platform/logger.ts';
import type { Environment } from '../../platform/production-checks.ts';

export interface ClickhouseServerConfig {
  /** CLICKHOUSE_HOST, default 127.0.0.1 (plain HTTP: in production it stays on loopback). */
  readonly host: string;
  /** GRIDFLEET_ENV: production refuses a users file with the default user unprotected or published passwords (users.ts). */
  readonly environment: Environment;
  /** CLICKHOUSE_PORT, default 8123. */
  readonly port: number;
  /** `<GRIDFLEET_STATE_DIR>/clickhouse/data`: the chDB data directory (GRIDFLEET_STATE_DIR default `.state`). */
  readonly dataDir: string;
  /** CLICKHOUSE_USERS_FILE, default `infra/clickhouse/users.json`. */
  readonly usersFile: string;
  /** CLICKHOUSE_MAX_INSERT_MB, default 4096: largest insert body accepted (streamed into the engine as one block). */
  readonly maxInsertBytes: number;
  /** `<GRIDFLEET_STATE_DIR>/clickhouse/tmp`: the named pipes insert bodies stream through. */
  readonly spoolDir: string;
  /** LOG_LEVEL, default info. */
  readonly logLevel: LogLevel;
}

type Env = Readonly<Record<string, string | undefined>>;

export const parseClickhouseServerConfig = (env: Env): ClickhouseServerConfig => {
  const problems: string[] = [];
  const base = parsePlatformInto(env, problems);
  const environment = parseEnvironment(env, []);
  const listener = parseListener(envReader(env, problems), environment, problems, { prefix: 'CLICKHOUSE', defaultPort: 8123, tlsCapable: false });
  const mb = (name: string, dflt: number, min: number, max: number): number => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') return dflt * 1024 * 1024;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name}=${raw} must be an integer from ${min} to ${max}`);
      return dflt * 1024 * 1024;
    }
    return n * 1024 * 1024;
  };
  const usersFile = env['CLICKHOUSE_USERS_FILE']?.trim() || join('infra', 'clickhouse', 'users.json');
  if (base === undefined) throw configInvalid('ClickHouse server', problems);
  const config: ClickhouseServerConfig = {
    host: listener.host,
    environment,
    port: listener.port,
    dataDir: join(base.stateDir, 'clickhouse', 'data'),
    usersFile,
    maxInsertBytes: mb('CLICKHOUSE_MAX_INSERT_MB', 4096, 1, 65536),
    spoolDir: join(base.stateDir, 'clickhouse', 'tmp'),
    logLevel: base.logLevel,
  };
  if (problems.length > 0) throw configInvalid('ClickHouse server', problems);
  return Object.freeze(config);
};
