/**
 * `npm run stack -- up --secure`: everything the secured stack needs besides its processes. The
 * Kafka listener's CA and certificate (kafka-tls.ts); the passwords (secrets.ts) become the Kafka SCRAM users, the registry's users file (read and write
 * roles), Redis ACL users and a ClickHouse users file with a password for every user, and each
 * service's env file. Which mode a state folder's running stack is in is kept in run/mode, so
 * `status` and `down` need no flag and `up` refuses to mix the modes.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config, KafkaSecurity, RegistryAuth } from '../../platform/config.ts';
import { PlatformError } from '../../platform/errors.ts';
import { BACKBONE_PRINCIPALS, STACK_ADMIN } from './backbone-acls.ts';
import { adminSecurity, type KafkaSecureMode } from './kafka-part.ts';
import { ensureKafkaTls } from './kafka-tls.ts';
import { REPO_ROOT, type StackLayout } from './layout.ts';
import type { RedisUser } from './redis-part.ts';
import { envFiles, loadOrCreatePasswords, passwordOf, requiredSecrets, secretsDir, writeEnvFiles, REDIS_USERS, type Passwords } from './secrets.ts';

export interface SecureStack {
  readonly kafka: KafkaSecureMode;
  /** The stack's own Kafka connection (the super user). */
  readonly kafkaAdmin: KafkaSecurity;
  /** The stack's registry login (write role): it registers the schemas. */
  readonly registryAdmin: RegistryAuth;
  readonly redisUsers: readonly RedisUser[];
  readonly clickhouseAdmin: { readonly username: string; readonly password: string };
  /** Variables of the registry process: its Kafka principal and users file. */
  readonly registryEnv: Readonly<Record<string, string>>;
  /** CLICKHOUSE_USERS_FILE of the ClickHouse process. */
  readonly clickhouseEnv: Readonly<Record<string, string>>;
}

const sha256Hex = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

/** The registry's users: the stack writes schemas, every service only reads (and re-registers what exists). Pure. */
export const registryUsers = (passwords: Passwords): { users: Record<string, { role: 'read' | 'write'; passwordSha256Hex: string }> } => ({
  users: Object.fromEntries([STACK_ADMIN, ...BACKBONE_PRINCIPALS.filter((p) => p !== 'registry')].map((u) => [u, {
    role: u === STACK_ADMIN ? 'write' as const : 'read' as const,
    passwordSha256Hex: sha256Hex(passwordOf(passwords, `registry/${u}`)),
  }])),
});

/** The development users file with each user's password replaced by a generated one (as a SHA-256). Pure. */
export const securedClickhouseUsers = (dev: { users: Record<string, Record<string, unknown>> }, passwords: Passwords): { users: Record<string, Record<string, unknown>> } => ({
  users: Object.fromEntries(Object.entries(dev.users).map(([name, u]) => {
    const rest = Object.fromEntries(Object.entries(u).filter(([k]) => k !== 'password'));
    return [name, { ...rest, passwordSha256Hex: sha256Hex(passwordOf(passwords, `clickhouse/${name}`)) }];
  })),
});

/** The Redis ACL users: the default user is switched off; BullMQ's user reaches only its prefix and no admin or dangerous commands. Pure. */
export const redisUsers = (passwords: Passwords): RedisUser[] => REDIS_USERS.map((name) => ({
  name,
  password: passwordOf(passwords, `redis/${name}`),
  rules: name === STACK_ADMIN ? '~* &* +@all' : '~gridfleet-forecast:* &* +@all -@admin -@dangerous +info',
}));

const DEV_CLICKHOUSE_USERS = join(REPO_ROOT, 'infra', 'clickhouse', 'users.json');

/** Creates (once) and writes every secret and users file of the secured stack under <state>/secrets. */
export const prepareSecureStack = (config: Config, layout: StackLayout): SecureStack => {
  const dev = JSON.parse(readFileSync(DEV_CLICKHOUSE_USERS, 'utf8')) as { users: Record<string, Record<string, unknown>> };
  const clickhouseUsers = Object.keys(dev.users);
  const passwords = loadOrCreatePasswords(layout.stateDir, requiredSecrets(clickhouseUsers));
  const dir = secretsDir(layout.stateDir);
  const registryUsersFile = join(dir, 'registry-users.json');
  const clickhouseUsersFile = join(dir, 'clickhouse-users.json');
  writeFileSync(registryUsersFile, `${JSON.stringify(registryUsers(passwords), null, 2)}\n`, { mode: 0o600 });
  writeFileSync(clickhouseUsersFile, `${JSON.stringify(securedClickhouseUsers(dev, passwords), null, 2)}\n`, { mode: 0o600 });
  const tls = ensureKafkaTls(dir);
  const files = envFiles({ passwords, redisPort: config.ports.redis, clickhouseUsers, registryUsersFile, kafkaCaFile: tls.caFile });
  writeEnvFiles(layout.stateDir, files);
  const admin = { adminUser: STACK_ADMIN, adminPassword: passwordOf(passwords, `kafka/${STACK_ADMIN}`), tls };
  return {
    kafka: { admin, scramUsers: [STACK_ADMIN, ...BACKBONE_PRINCIPALS].map((name) => ({ name, password: passwordOf(passwords, `kafka/${name}`) })) },
    kafkaAdmin: adminSecurity(admin),
    registryAdmin: { username: STACK_ADMIN, password: passwordOf(passwords, `registry/${STACK_ADMIN}`) },
    redisUsers: redisUsers(passwords),
    clickhouseAdmin: { username: 'default', password: passwordOf(passwords, 'clickhouse/default') },
    registryEnv: files['registry'] ?? {},
    clickhouseEnv: { CLICKHOUSE_USERS_FILE: clickhouseUsersFile },
  };
};

export type StackMode = 'plaintext' | 'secure';

const modeFile = (layout: StackLayout): string => join(layout.runDir, 'mode');

/** The mode the stack of this state folder was last started in (plaintext when never recorded). */
export const recordedMode = (layout: StackLayout): StackMode =>
  existsSync(modeFile(layout)) && readFileSync(modeFile(layout), 'utf8').trim() === 'secure' ? 'secure' : 'plaintext';

/** Records the mode, or refuses when parts of the other mode still run. */
export const claimMode = (layout: StackLayout, mode: StackMode, running: readonly string[]): void => {
  const current = recordedMode(layout);
  if (current !== mode && running.length > 0) {
    throw new PlatformError('STACK_START_FAILED', `the stack in ${layout.stateDir} runs ${current === 'secure' ? 'secured (--secure)' : 'without security'} (${running.join(', ')}); run 'npm run stack -- down' first, then 'up'${mode === 'secure' ? ' --secure' : ''}`);
  }
  mkdirSync(layout.runDir, { recursive: true });
  writeFileSync(modeFile(layout), `${mode}\n`);
};
