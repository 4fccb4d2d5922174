// Every service ran through tsx, compiling TypeScript at start in each process. `npm run build`
// emits plain JavaScript; this builds it and starts a built service with node alone (no tsx, no
// TypeScript), as the container image does, and checks that it serves.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../support/service-process.ts';
import { freshName, TEST_STACK_ENV } from '../../support/stack-env.ts';

const run = promisify(execFile);
const stops: Array<() => void> = [];
afterAll(() => stops.forEach((s) => s()));

describe('npm run build', () => {
  it('emits one bundle per service that node runs directly', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'infra/build/build.ts'], { encoding: 'utf8', timeout: 120_000 });
    expect(stdout).toMatch(/built \d+ bundles into dist\//);
    for (const f of ['gridfleet', 'gateway', 'assets', 'control', 'ingest', 'forecast', 'console']) expect(existsSync(`dist/${f}.js`), f).toBe(true);

    const help = await run(process.execPath, ['dist/gridfleet.js', '--help'], { encoding: 'utf8' });
    expect(help.stdout).toContain('services and commands: gateway, assets, control');

    const port = await freePort();
    const token = 'built-operator-token-1';
    const child = spawn(process.execPath, ['dist/gridfleet.js', 'control'], {
      env: { PATH: process.env['PATH'] ?? '', ...TEST_STACK_ENV, CONTROL_PORT: String(port), CONTROL_TOKENS: `operator:${token}:builder`, CONTROL_INSTANCE_ID: freshName('built-control') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    stops.push(() => child.kill('SIGKILL'));
    // It must not have loaded tsx: the process runs the bundle and its packages only.
    expect(child.spawnargs).not.toContain('tsx');

    const deadline = Date.now() + 90_000;
    let status = 0;
    while (Date.now() < deadline && child.exitCode === null && status !== 200) {
      status = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.status, () => 0);
      if (status !== 200) await new Promise((r) => setTimeout(r, 250));
    }
    expect(status, out.slice(-2000)).toBe(200);
    const events = await fetch(`http://127.0.0.1:${port}/v1/events`, { headers: { authorization: `Bearer ${token}` } });
    expect(events.status).toBe(200);
    expect(await events.json()).toHaveProperty('events');
    child.kill('SIGTERM');
  }, 180_000);
});
