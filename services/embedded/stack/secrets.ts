/**
 * The secure stack's credentials: random passwords generated once into
 * `<state>/secrets/passwords.json` and, from them, one `<state>/secrets/<service>.env` per
 * principal with exactly the variables that service reads (KAFKA_SASL_*, KAFKA_SSL_CA_FILE, REGISTRY_USERNAME and
 * REGISTRY_PASSWORD, its ClickHouse login, REDIS_URL with its ACL user). Every file is mode 0600.
 * The env files are plain KEY=value lines: `set -a; . .state/secrets/gateway.env; set +a` loads
 * one into a shell, and readServiceEnv into a process the demo or a test starts.
 *
 * Passwords are hex, so they need no quoting in a JAAS line, an env file or a URL.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PlatformError } from '../../platform/errors.ts';
import { BACKBONE_PRINCIPALS, STACK_ADMIN, type BackbonePrincipal } from './backbone-acls.ts';

/** What gets a password: a Kafka user, a registry user, a Redis ACL user or a ClickHouse user. */
export type SecretKey = `${'kafka' | 'registry' | 'redis' | 'clickhouse'}/${string}`;
export type Passwords = Readonly<Record<SecretKey, string>>;

export const secretsDir = (stateDir: string): string => join(stateDir, 'secrets');

/** The Redis ACL users: the stack (health, operators) and the forecast tier's BullMQ queues. */
export const REDIS_USERS = [STACK_ADMIN, 'forecast'] as const;

/** Which ClickHouse user each service logs in as, and under which variables. */
const CLICKHOUSE_LOGINS: Partial<Record<BackbonePrincipal | 'sql', { userVar: string; passwordVar: string; user: (users: readonly string[]) => string }>> = {
  ingest: { userVar: 'INGEST_CLICKHOUSE_USER', passwordVar: 'INGEST_CLICKHOUSE_PASSWORD', user: () => 'ingest' },
  // The forecast jobs' own user where the users file has one, else the default user.
  forecast: { userVar: 'FORECAST_CLICKHOUSE_USER', passwordVar: 'FORECAST_CLICKHOUSE_PASSWORD', user: (u) => (u.includes('forecast') ? 'forecast' : 'default') },
  console: { userVar: 'CONSOLE_CLICKHOUSE_USER', passwordVar: 'CONSOLE_CLICKHOUSE_PASSWORD', user: () => 'analyst' },
  sql: { userVar: 'SQL_USER', passwordVar: 'SQL_PASSWORD', user: () => 'analyst' },
};

/** Every key the stack needs a password for. Pure. */
export const requiredSecrets = (clickhouseUsers: readonly string[]): SecretKey[] => [
  ...[STACK_ADMIN, ...BACKBONE_PRINCIPALS].map((p): SecretKey => `kafka/${p}`),
  ...[STACK_ADMIN, ...BACKBONE_PRINCIPALS.filter((p) => p !== 'registry')].map((p): SecretKey => `registry/${p}`),
  ...REDIS_USERS.map((u): SecretKey => `redis/${u}`),
  ...clickhouseUsers.map((u): SecretKey => `clickhouse/${u}`),
];

const writePrivate = (file: string, text: string): void => {
  writeFileSync(file, text, { mode: 0o600 });
  // mode applies only when the file is created; an older file keeps its mode otherwise.
  chmodSync(file, 0o600);
};

/** Reads the password file and adds a random password for every missing key (written back, 0600). */
export const loadOrCreatePasswords = (stateDir: string, keys: readonly SecretKey[], random = (): string => randomBytes(24).toString('hex')): Passwords => {
  const dir = secretsDir(stateDir);
  const file = join(dir, 'passwords.json');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const existing = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
  const missing = keys.filter((k) => typeof existing[k] !== 'string');
  const all: Record<string, string> = { ...existing, ...Object.fromEntries(missing.map((k) => [k, random()])) };
  if (missing.length > 0 || !existsSync(file)) writePrivate(file, `${JSON.stringify(all, null, 2)}\n`);
  return all;
};

export const passwordOf = (passwords: Passwords, key: SecretKey): string => {
  const p = passwords[key];
  if (p === undefined) throw new PlatformError('STACK_START_FAILED', `no password for ${key} in the stack's secrets`);
  return p;
};

const kafkaVars = (c: EnvFileContext, user: string): Record<string, string> => ({
  KAFKA_SASL_MECHANISM: 'scram-sha-512',
  KAFKA_SASL_USERNAME: user,
  KAFKA_SASL_PASSWORD: passwordOf(c.passwords, `kafka/${user}`),
  ...(c.kafkaCaFile === undefined ? {} : { KAFKA_SSL_CA_FILE: c.kafkaCaFile }),
});

export interface EnvFileContext {
  readonly passwords: Passwords;
  readonly redisPort: number;
  /** The users of the ClickHouse users file the stack serves. */
  readonly clickhouseUsers: readonly string[];
  /** Where the registry's users file is (the registry process reads REGISTRY_USERS_FILE). */
  readonly registryUsersFile: string;
  /** The CA of the brokers' TLS listener (absolute path): every Kafka principal trusts it; absent: no TLS. */
  readonly kafkaCaFile?: string;
}

/** The variables of each env file: one per principal, plus `admin` (the stack's) and `sql` (an analyst's). Pure. */
export const envFiles = (c: EnvFileContext): Record<string, Record<string, string>> => {
  const clickhouse = (who: BackbonePrincipal | 'sql'): Record<string, string> => {
    const login = CLICKHOUSE_LOGINS[who];
    if (login === undefined) return {};
    const user = login.user(c.clickhouseUsers);
    return { [login.userVar]: user, [login.passwordVar]: passwordOf(c.passwords, `clickhouse/${user}`) };
  };
  const redisUrl = (user: string): string => `redis://${user}:${passwordOf(c.passwords, `redis/${user}`)}@127.0.0.1:${c.redisPort}`;
  const services = Object.fromEntries(BACKBONE_PRINCIPALS.map((p) => [p, {
    ...kafkaVars(c, p),
    ...(p === 'registry'
      ? { REGISTRY_USERS_FILE: c.registryUsersFile }
      : { REGISTRY_USERNAME: p, REGISTRY_PASSWORD: passwordOf(c.passwords, `registry/${p}`) }),
    ...clickhouse(p),
    ...(p === 'forecast' ? { REDIS_URL: redisUrl('forecast') } : {}),
  }]));
  return {
    ...services,
    [STACK_ADMIN]: {
      ...kafkaVars(c, STACK_ADMIN),
      REGISTRY_USERNAME: STACK_ADMIN,
      REGISTRY_PASSWORD: passwordOf(c.passwords, `registry/${STACK_ADMIN}`),
      REDIS_URL: redisUrl(STACK_ADMIN),
      SQL_USER: 'default',
      SQL_PASSWORD: passwordOf(c.passwords, 'clickhouse/default'),
    },
    sql: clickhouse('sql'),
  };
};

const renderEnv = (name: string, vars: Readonly<Record<string, string>>): string =>
  [`# ${name}: written by \`npm run stack -- up --secure\`; edits are overwritten.`, ...Object.entries(vars).map(([k, v]) => `${k}=${v}`), ''].join('\n');

export const writeEnvFiles = (stateDir: string, files: Readonly<Record<string, Readonly<Record<string, string>>>>): void => {
  for (const [name, vars] of Object.entries(files)) writePrivate(join(secretsDir(stateDir), `${name}.env`), renderEnv(name, vars));
};

/** Parses KEY=value lines (comments and blank lines skipped). Pure. */
export const parseEnvFile = (text: string): Record<string, string> => {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n').map((l) => l.trim())) {
    const i = line.indexOf('=');
    if (line.startsWith('#') || i <= 0) continue;
    vars[line.slice(0, i)] = line.slice(i + 1);
  }
  return vars;
};

/** A service's variables from `<state>/secrets/<service>.env`, for a process the demo or a test starts. */
export const readServiceEnv = (stateDir: string, service: string): Record<string, string> => {
  const file = join(secretsDir(stateDir), `${service}.env`);
  if (!existsSync(file)) throw new PlatformError('STACK_PREREQUISITE_MISSING', `${file} does not exist: start the stack with 'npm run stack -- up --secure' first`);
  return parseEnvFile(readFileSync(file, 'utf8'));
};
