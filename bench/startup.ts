/**
 * Start time and memory per service, from source (tsx compiles the TypeScript at start) against the
 * build (`npm run build`: node runs dist/<name>.js). Each service is started `--rounds` times each
 * way on a stack of its own, timed from spawn to its first 200 on /healthz, and its resident memory
 * read from /proc when it is ready.
 *
 * npm run bench -- startup [--rounds=3] [--services=control,gateway,assets,ingest] [--json]
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseConfig } from '../services/platform/config.ts';
import { createLogger } from '../services/platform/logger.ts';
import { REPO_ROOT } from '../services/platform/repo-root.ts';
import { SERVICE_ENTRIES, type ServiceName } from '../services/service-entries.ts';
import { createStack } from '../services/embedded/stack/stack.ts';
import type { Benchmark, Metric } from './types.ts';

const PORT_BASE = 41000;
const PORT_ENV: Partial<Record<ServiceName, string>> = { control: 'CONTROL_PORT', gateway: 'GATEWAY_PORT', assets: 'ASSETS_PORT', ingest: 'INGEST_METRICS_PORT', console: 'CONSOLE_PORT' };

const rssMb = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? Number.NaN : Number(m[1]) / 1024;
};

const startOnce = async (name: ServiceName, built: boolean, port: number, env: Record<string, string>): Promise<{ ms: number; rssMb: number }> => {
  const args = built ? [join(REPO_ROOT, 'dist', `${name}.js`)] : ['--import', 'tsx', join(REPO_ROOT, 'services', SERVICE_ENTRIES[name])];
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: { ...env, [PORT_ENV[name] ?? 'PORT']: String(port) }, stdio: 'ignore' });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${name} exited ${child.exitCode} before it was ready`);
      const status = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.status, () => 0);
      if (status === 200) break;
      if (performance.now() - t0 > 120_000) throw new Error(`${name} not ready in 120 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return { ms: performance.now() - t0, rssMb: rssMb(child.pid ?? 0) };
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  }
};

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

const startup: Benchmark = {
  name: 'startup',
  description: 'service start time and memory, source (tsx) against build (node dist/)',
  async run(ctx) {
    const rounds = Math.max(1, Number(ctx.options['rounds'] ?? '3'));
    const services = (ctx.options['services'] ?? 'control,gateway,assets,ingest').split(',').filter((s): s is ServiceName => s in PORT_ENV);
    ctx.progress('building dist/ ...');
    await promisify(execFile)(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'infra/build/build.ts')], { cwd: REPO_ROOT });
    const at = (o: number): string => String(PORT_BASE + o);
    const env: Record<string, string> = {
      PATH: process.env['PATH'] ?? '', LOG_LEVEL: 'warn', GRIDFLEET_STATE_DIR: mkdtempSync(join(tmpdir(), 'bench-startup-')),
      KAFKA_PORT: at(9092), KAFKA_CONTROLLER_PORT: at(9093), REGISTRY_PORT: at(8081), CLICKHOUSE_PORT: at(8123), REDIS_PORT: at(6379),
      CONTROL_TOKENS: 'operator:startup-bench-operator:bench', OPERATOR_TOKEN: 'startup-bench-operator',
    };
    const stack = createStack(parseConfig(env), createLogger('warn', { service: 'bench-startup' }));
    ctx.progress('starting a stack of its own ...');
    await stack.up();
    const rows: Array<readonly [string, string, string?]> = [];
    const metrics: Record<string, Metric> = {};
    try {
      let port = PORT_BASE + 100;
      for (const name of services) {
        const of = async (built: boolean): Promise<{ ms: number; rssMb: number }> => {
          const runs = [];
          for (let i = 0; i < rounds; i++) runs.push(await startOnce(name, built, port++, { ...env, ASSETS_INSTANCE_ID: `bench-${port}`, CONTROL_INSTANCE_ID: `bench-${port}`, GATEWAY_INSTANCE_ID: `bench-${port}` }));
          return { ms: median(runs.map((r) => r.ms)), rssMb: median(runs.map((r) => r.rssMb)) };
        };
        ctx.progress(`${name}: source, then built (${rounds} rounds each)`);
        const src = await of(false);
        const bin = await of(true);
        rows.push([`${name} start to /healthz`, `${src.ms.toFixed(0)} ms source, ${bin.ms.toFixed(0)} ms built`, `${(src.ms / bin.ms).toFixed(2)}x`]);
        rows.push([`${name} resident memory`, `${src.rssMb.toFixed(0)} MB source, ${bin.rssMb.toFixed(0)} MB built`, `${(src.rssMb / bin.rssMb).toFixed(2)}x`]);
        Object.assign(metrics, { [`${name}StartSourceMs`]: Math.round(src.ms), [`${name}StartBuiltMs`]: Math.round(bin.ms), [`${name}RssSourceMb`]: Math.round(src.rssMb), [`${name}RssBuiltMb`]: Math.round(bin.rssMb) });
      }
    } finally {
      await stack.down();
    }
    return { rows, metrics, parameters: { rounds, services: services.join(',') } };
  },
};

export default startup;
