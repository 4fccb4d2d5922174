/**
 * The embedded Redis: Debian's redis-server, installed by the stack when missing (root only),
 * with an append-only file fsynced every second and `maxmemory-policy noeviction`, because BullMQ
 * needs both to lose nothing.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createConnection } from 'node:net';
import type { Config } from '../../platform/config.ts';
import { PlatformError } from '../../platform/errors.ts';
import type { StackLayout } from './layout.ts';
import type { Part } from './part.ts';
import { run, spawnDetached, which } from './processes.ts';

/** A Redis ACL user of the secured stack: `rules` is the ACL SETUSER rule list after its password. */
export interface RedisUser {
  readonly name: string;
  readonly password: string;
  readonly rules: string;
}

/**
 * redis.conf. With users (`up --secure`), the default user is switched off, so a connection that
 * does not AUTH as one of them can run no command at all.
 */
export const redisConf = (o: { dataDir: string; port: number; users?: readonly RedisUser[] }): string =>
  [
    '# Written by `npm run stack -- up`; edits are overwritten.',
    `port ${o.port}`,
    'bind 127.0.0.1',
    'protected-mode yes',
    'daemonize no',
    `dir ${o.dataDir}`,
    'appendonly yes',
    'appendfsync everysec',
    'save 60 1000',
    'maxmemory-policy noeviction',
    'loglevel notice',
    ...(o.users === undefined ? [] : ['user default off', ...o.users.map((u) => `user ${u.name} on >${u.password} ${u.rules}`)]),
    '',
  ].join('\n');

/** Sends PING over RESP (after AUTH when given a user) and expects +PONG. */
const ping = (port: number, auth?: RedisUser): Promise<boolean> =>
  new Promise((resolve) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    let buf = '';
    const done = (v: boolean): void => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(1_000, () => done(false));
    s.once('connect', () => s.write(`${auth ? `AUTH ${auth.name} ${auth.password}\r\n` : ''}PING\r\n`));
    s.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\r\n');
      const want = auth ? 2 : 1;
      if (lines.length > want) done(lines[want - 1] === '+PONG' && (auth === undefined || lines[0] === '+OK'));
    });
    s.once('error', () => done(false));
  });

const ensureInstalled = async (): Promise<string> => {
  // Debian puts it in /usr/bin, which a minimal PATH may lack.
  const found = (await which('redis-server')) ?? (await which('/usr/bin/redis-server'));
  if (found) return found;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !(await which('apt-get'))) {
    throw new PlatformError('STACK_PREREQUISITE_MISSING', "redis-server is not installed: run 'sudo apt-get install -y redis-server' (Debian/Ubuntu) and retry");
  }
  process.stderr.write('stack: installing Debian redis-server (first run only)...\n');
  await run('apt-get', ['update', '-qq']);
  await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'redis-server'], { env: { DEBIAN_FRONTEND: 'noninteractive' } });
  const installed = await which('redis-server');
  if (!installed) throw new PlatformError('STACK_PREREQUISITE_MISSING', 'apt-get installed redis-server but it is not on PATH');
  return installed;
};

/** users: the secured mode's ACL users; the first one is the stack's own (for the health check). */
export const redisPart = (config: Config, layout: StackLayout, users?: readonly RedisUser[]): Part => {
  const dataDir = layout.dataDir('redis');
  const confFile = join(dataDir, 'redis.conf');
  let binary = 'redis-server';
  return {
    name: 'redis',
    port: config.ports.redis,
    portVariable: 'REDIS_PORT',
    startTimeoutMs: 20_000,
    async prepare() {
      binary = await ensureInstalled();
      mkdirSync(dataDir, { recursive: true });
      // Mode 0600: in the secured mode the file holds the users' passwords.
      writeFileSync(confFile, redisConf({ dataDir, port: config.ports.redis, ...(users ? { users } : {}) }), { mode: 0o600 });
      chmodSync(confFile, 0o600);
    },
    launch: () => spawnDetached({ command: binary, args: [confFile], logFile: layout.logFile('redis'), pidFile: layout.pidFile('redis') }),
    healthy: () => ping(config.ports.redis, users?.[0]),
  };
};
