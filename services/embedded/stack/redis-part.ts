/**
 * The embedded Redis: Debian's redis-server, installed by the stack when missing (root only),
 * with an append-only file fsynced every second and `maxmemory-policy noeviction`, because BullMQ
 * needs both to lose nothing.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createConnection } from 'node:net';
import type { Config } from '../../platform/config.ts';
import { PlatformError } from '../../platform/errors.ts';
import type { StackLayout } from './layout.ts';
import type { Part } from './part.ts';
import { run, spawnDetached, which } from './processes.ts';

export const redisConf = (o: { dataDir: string; port: number }): string =>
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
    '',
  ].join('\n');

/** Sends PING over RESP and expects +PONG. */
const ping = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    let buf = '';
    const done = (v: boolean): void => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(1_000, () => done(false));
    s.once('connect', () => s.write('PING\r\n'));
    s.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
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

export const redisPart = (config: Config, layout: StackLayout): Part => {
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
      writeFileSync(confFile, redisConf({ dataDir, port: config.ports.redis }));
    },
    launch: () => spawnDetached({ command: binary, args: [confFile], logFile: layout.logFile('redis'), pidFile: layout.pidFile('redis') }),
    healthy: () => ping(config.ports.redis),
  };
};
