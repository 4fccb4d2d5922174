/**
 * Shared pieces of the benchmarks that run the platform's processes: a stack of their own on a
 * port range, gateway processes, bulk provisioning, and /proc readings. Not a benchmark itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type Config } from '../services/platform/config.ts';
import { createLogger } from '../services/platform/logger.ts';
import { REPO_ROOT, type PartName } from '../services/embedded/stack/layout.ts';
import { waitUntil } from '../services/embedded/stack/processes.ts';
import { createStack, type Stack } from '../services/embedded/stack/stack.ts';

export const BENCH_OPERATOR = 'bench-operator-token';

export const rssKb = (pid: number | undefined): number => {
  if (pid === undefined) return 0;
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
};

/** User + system CPU seconds a process has used. */
export const cpuSec = (pid: number | undefined): number => {
  if (pid === undefined) return 0;
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(f[11]) + Number(f[12])) / 100;
};

export interface BenchStack {
  readonly env: Record<string, string>;
  readonly config: Config;
  readonly stack: Stack;
  dispose(): Promise<void>;
}

/**
 * A stack on ports base+9092, +9093, +8081, +8123, +6379 (e.g. base 20000), data in a temp folder.
 * Every bench keeps its ports below 32768: Linux hands out 32768-60999 to outgoing connections,
 * and a bench with 100k device sockets takes so many of them that a port there may be taken by
 * the time a part starts (seen: the assets bench's registry on 60081 after the control bench).
 */
export const startBenchStack = async (base: number, parts: readonly PartName[]): Promise<BenchStack> =>
  startBenchStackOn({ kafka: base + 9092, kafkaController: base + 9093, registry: base + 8081, clickhouse: base + 8123, redis: base + 6379 }, parts);

export interface BenchStackPorts { readonly kafka: number; readonly kafkaController: number; readonly registry: number; readonly clickhouse: number; readonly redis: number }

/** A stack on the given ports, data in a temp folder. */
export const startBenchStackOn = async (ports: BenchStackPorts, parts: readonly PartName[]): Promise<BenchStack> => {
  const root = mkdtempSync(join(tmpdir(), 'gridfleet-bench-'));
  const env = {
    GRIDFLEET_STATE_DIR: join(root, 'state'), LOG_LEVEL: 'warn',
    KAFKA_PORT: String(ports.kafka), KAFKA_CONTROLLER_PORT: String(ports.kafkaController), REGISTRY_PORT: String(ports.registry),
    CLICKHOUSE_PORT: String(ports.clickhouse), REDIS_PORT: String(ports.redis),
  };
  const config = parseConfig(env);
  const stack = createStack(config, createLogger('warn'));
  await stack.up(parts);
  return {
    env, config, stack,
    async dispose() {
      await stack.down();
      rmSync(root, { recursive: true, force: true });
    },
  };
};

export const spawnGateways = async (count: number, basePort: number, env: Record<string, string>): Promise<{ procs: ChildProcess[]; urls: string[] }> => {
  const procs: ChildProcess[] = [];
  const urls: string[] = [];
  for (let i = 0; i < count; i++) {
    urls.push(`http://127.0.0.1:${basePort + i}`);
    procs.push(spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'services/operational/gateway/main.ts')], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env, GATEWAY_PORT: String(basePort + i), GATEWAY_INSTANCE_ID: `bench-gw-${basePort + i}`, OPERATOR_TOKEN: BENCH_OPERATOR },
      stdio: ['ignore', 'ignore', 'inherit'],
    }));
  }
  for (const u of urls) if (!(await waitUntil(async () => (await fetch(`${u}/healthz`)).ok, 120_000))) throw new Error(`gateway ${u} did not start`);
  return { procs, urls };
};

export const stopAll = async (procs: readonly ChildProcess[]): Promise<void> => {
  for (const p of procs) p.kill('SIGTERM');
  await waitUntil(() => Promise.resolve(procs.every((p) => p.exitCode !== null || p.signalCode !== null)), 10_000);
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
};

/** Provisions `count` sites with one device each; device i is served by urls[i % urls.length]. */
export const provisionDevices = async (urls: readonly string[], count: number): Promise<Array<{ url: string; token: string; siteId: string }>> => {
  const devices: Array<{ url: string; token: string; siteId: string }> = [];
  for (let i = 0; i < count; i += 10_000) {
    const assets: unknown[] = i === 0 ? [{ assetId: 'feeder-bench', kind: 'FEEDER', name: 'bench feeder' }] : [];
    for (let k = i; k < Math.min(count, i + 10_000); k++) {
      assets.push({ assetId: `site-${k}`, kind: 'SITE', parentId: 'feeder-bench', name: `site ${k}`, solarKwp: 6, maxChargeKw: 5, maxDischargeKw: 5 });
      assets.push({ assetId: `dev-${k}`, kind: 'DEVICE', parentId: `site-${k}`, name: `device ${k}` });
    }
    const res = await fetch(`${urls[0]}/v1/provision`, { method: 'POST', headers: { authorization: `Bearer ${BENCH_OPERATOR}`, 'content-type': 'application/json' }, body: JSON.stringify({ assets }) });
    if (!res.ok) throw new Error(`provision: ${res.status} ${await res.text()}`);
    for (const d of ((await res.json()) as { devices: Array<{ token: string; siteId: string }> }).devices) {
      devices.push({ url: urls[devices.length % urls.length] ?? '', token: d.token, siteId: d.siteId });
    }
  }
  for (const u of urls) {
    await waitUntil(async () => ((await (await fetch(`${u}/healthz`)).json()) as { devices: number }).devices >= count, 180_000, 1000);
  }
  return devices;
};

export const nextMessage = <M extends { type: string }, T extends M['type']>(w: ChildProcess, type: T): Promise<Extract<M, { type: T }>> =>
  new Promise((resolve) => {
    const on = (m: M): void => {
      if (m.type === type) {
        w.off('message', on);
        resolve(m as Extract<M, { type: T }>);
      }
    };
    w.on('message', on);
  });

export const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
