/**
 * The stack's parts that are this project's own Node services: the schema registry (state in the
 * compacted `_schemas` topic) and the ClickHouse HTTP server over chDB. Each runs as its own
 * detached process through tsx, configured by the same environment variables as the stack.
 */
import { join } from 'node:path';
import type { Config } from '../../platform/config.ts';
import { REPO_ROOT, type PartName, type StackLayout } from './layout.ts';
import type { Part } from './part.ts';
import { spawnDetached } from './processes.ts';
import { ENGINE_THREAD_ENV } from '../clickhouse/threadpool.ts';

/** Environment that makes a child parse the same config as this process. */
export const childEnv = (config: Config, layout: StackLayout): Record<string, string> => ({
  GRIDFLEET_STATE_DIR: layout.stateDir,
  GRIDFLEET_CACHE_DIR: layout.cacheDir,
  KAFKA_PORT: String(config.ports.kafka),
  KAFKA_CONTROLLER_PORT: String(config.ports.kafkaController),
  REGISTRY_PORT: String(config.ports.registry),
  CLICKHOUSE_PORT: String(config.ports.clickhouse),
  REDIS_PORT: String(config.ports.redis),
  KAFKA_BROKER_COUNT: String(config.kafkaBrokerCount),
  KAFKA_BROKERS: config.kafkaBrokers.join(','),
  LOG_LEVEL: config.logLevel,
});

const nodeService = (name: PartName, entry: string, config: Config, layout: StackLayout, extraEnv: Readonly<Record<string, string>> = {}) => (): number =>
  spawnDetached({
    command: process.execPath,
    args: ['--import', 'tsx', join(REPO_ROOT, entry)],
    cwd: REPO_ROOT,
    env: { ...childEnv(config, layout), ...extraEnv },
    logFile: layout.logFile(name),
    pidFile: layout.pidFile(name),
  });

const answers = async (url: string, expect: (body: string) => boolean, auth?: { readonly username: string; readonly password: string }): Promise<boolean> => {
  const headers: Record<string, string> = auth ? { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` } : {};
  const res = await fetch(url, { signal: AbortSignal.timeout(2_000), headers });
  return res.ok && expect(await res.text());
};

/** secured: the registry's env (Kafka principal, users file) and the stack's login for the health check. */
export const registryPart = (config: Config, layout: StackLayout, secured?: { env: Readonly<Record<string, string>>; login: { username: string; password: string } }): Part => ({
  name: 'registry',
  port: config.ports.registry,
  portVariable: 'REGISTRY_PORT',
  startTimeoutMs: 60_000,
  prepare: () => Promise.resolve(),
  launch: nodeService('registry', 'services/embedded/registry/main.ts', config, layout, secured?.env),
  healthy: () => answers(`http://127.0.0.1:${config.ports.registry}/subjects`, (b) => b.startsWith('['), secured?.login),
});

/** extraEnv: the secured mode's CLICKHOUSE_USERS_FILE. */
export const clickhousePart = (config: Config, layout: StackLayout, extraEnv: Readonly<Record<string, string>> = {}): Part => ({
  name: 'clickhouse',
  port: config.ports.clickhouse,
  portVariable: 'CLICKHOUSE_PORT',
  startTimeoutMs: 60_000,
  prepare: () => Promise.resolve(),
  launch: nodeService('clickhouse', 'services/embedded/clickhouse/main.ts', config, layout, { ...ENGINE_THREAD_ENV, ...extraEnv }),
  healthy: () => answers(`http://127.0.0.1:${config.ports.clickhouse}/ping`, (b) => b.startsWith('Ok.')),
});
