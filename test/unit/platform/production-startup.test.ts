import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// Guards issue 19: with GRIDFLEET_ENV=production and no secrets set, every service used to start
// on the development secrets printed in the source. Each must exit non-zero before it connects
// to anything, with one CONFIG_INVALID line per problem.
const SERVICES = [
  { name: 'gateway', args: ['services/operational/gateway/main.ts'], expect: ['GATEWAY_TOKEN_SECRET is unset', 'OPERATOR_TOKEN is unset'] },
  { name: 'control', args: ['services/operational/control/main.ts'], expect: ['CONTROL_TOKENS is unset'] },
  { name: 'assets', args: ['services/operational/assets/main.ts'], env: { ASSETS_HOST: '0.0.0.0' }, expect: ['ASSETS_HOST=0.0.0.0 serves plain HTTP off loopback'] },
  { name: 'ingest', args: ['services/analytics/ingest/main.ts'], expect: ['INGEST_CLICKHOUSE_PASSWORD is unset'] },
  { name: 'forecast', args: ['services/analytics/forecast/cli.ts', 'start'], expect: ['FORECAST_CLICKHOUSE_USER=default without a password'] },
  { name: 'console', args: ['services/console/main.ts'], expect: ['CONSOLE_CLICKHOUSE_PASSWORD is unset'] },
  { name: 'registry', args: ['services/embedded/registry/main.ts'], env: { REGISTRY_HOST: '0.0.0.0' }, expect: ['REGISTRY_HOST=0.0.0.0 serves plain HTTP off loopback'] },
  { name: 'clickhouse', args: ['services/embedded/clickhouse/main.ts'], expect: ['the default user has no password', 'user ingest has a default password'] },
] as const;

const run = (args: readonly string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> =>
  new Promise((resolve, reject) => {
    // Nothing of the machine's environment leaks in, and every address points nowhere: a service
    // that did start would fail to connect rather than touch someone's stack.
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', GRIDFLEET_ENV: 'production', KAFKA_BROKERS: '127.0.0.1:1', REGISTRY_URL: 'http://127.0.0.1:1', CLICKHOUSE_URL: 'http://127.0.0.1:1', REDIS_URL: 'redis://127.0.0.1:1', GRIDFLEET_STATE_DIR: '/nonexistent/gridfleet-state', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Generous: a shared, loaded machine can take many seconds to load a service's imports.
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });

describe('GRIDFLEET_ENV=production without secrets', () => {
  it('every service exits with CONFIG_INVALID, one line per problem', async () => {
    // Two at a time: eight cold tsx starts at once swamp a 2-core machine.
    const results: Array<{ s: (typeof SERVICES)[number]; r: { code: number | null; stderr: string } }> = [];
    for (let i = 0; i < SERVICES.length; i += 2) {
      results.push(...(await Promise.all(SERVICES.slice(i, i + 2).map(async (s) => ({ s, r: await run(s.args, 'env' in s ? { ...s.env } : {}) })))));
    }
    for (const { s, r } of results) {
      const lines = r.stderr.trim().split('\n');
      expect({ service: s.name, code: r.code }).toEqual({ service: s.name, code: 78 });
      for (const l of lines) expect(l, s.name).toMatch(new RegExp(`^CONFIG_INVALID ${s.name}: `));
      for (const want of s.expect) expect(lines.some((l) => l.includes(want)), `${s.name}: ${want}\n${r.stderr}`).toBe(true);
    }
  }, 600_000);
});
