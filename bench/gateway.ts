/**
 * `npm run bench -- gateway [--connections=100000] [--gateways=6] [--workers=4] [--seconds=20] [--window=2000]`
 *
 * How many device connections this machine holds, with memory per connection, and sustained
 * telemetry from devices through the gateways into Kafka (acks=-1, every frame acknowledged to its
 * device). Runs its own Kafka and registry (ports 4xxxx), several gateway processes and several
 * client processes: a process may hold at most `ulimit -n` (20000 here) sockets, so 100k
 * connections need at least 6 gateways, as they would behind a load balancer in production.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../services/platform/config.ts';
import { createLogger } from '../services/platform/logger.ts';
import { REPO_ROOT } from '../services/stack/layout.ts';
import { waitUntil } from '../services/stack/processes.ts';
import { createStack } from '../services/stack/stack.ts';
import type { Benchmark } from './types.ts';

const OPERATOR = 'bench-operator-token';
const rssKb = (pid: number | undefined): number => {
  if (pid === undefined) return 0;
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
};
const cpuSec = (pid: number | undefined): number => {
  if (pid === undefined) return 0;
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(f[11]) + Number(f[12])) / 100;
};

type WorkerMsg = { type: 'ready' } | { type: 'connected'; count: number; failed: number; rssMb: number } | { type: 'sent'; accepted: number; rejected: number; elapsedSec: number; rssMb: number };
const nextMessage = <T extends WorkerMsg['type']>(w: ChildProcess, type: T): Promise<Extract<WorkerMsg, { type: T }>> =>
  new Promise((resolve) => {
    const on = (m: WorkerMsg): void => {
      if (m.type === type) {
        w.off('message', on);
        resolve(m as Extract<WorkerMsg, { type: T }>);
      }
    };
    w.on('message', on);
  });

const bench: Benchmark = {
  name: 'gateway',
  description: 'device connections held and sustained telemetry through the gateways into Kafka',
  async run({ options, progress }) {
    const connections = Number(options['connections'] ?? 100_000);
    const gateways = Number(options['gateways'] ?? Math.max(1, Math.ceil(connections / 18_000)));
    const workers = Number(options['workers'] ?? Math.max(1, Math.ceil(connections / 18_000)));
    const seconds = Number(options['seconds'] ?? 20);
    const window = Number(options['window'] ?? 2000);
    const root = mkdtempSync(join(tmpdir(), 'gridfleet-bench-gw-'));
    const env = { GRIDFLEET_STATE_DIR: join(root, 'state'), KAFKA_PORT: '49092', KAFKA_CONTROLLER_PORT: '49093', REGISTRY_PORT: '48081', CLICKHOUSE_PORT: '48123', REDIS_PORT: '46379', LOG_LEVEL: 'warn' };
    const config = parseConfig(env);
    const stack = createStack(config, createLogger('warn'));
    const gwProcs: ChildProcess[] = [];
    const clientProcs: ChildProcess[] = [];
    try {
      progress('starting Kafka and the registry...');
      await stack.up(['kafka', 'registry']);
      progress(`starting ${gateways} gateway processes...`);
      const urls: string[] = [];
      for (let i = 0; i < gateways; i++) {
        const port = 40100 + i;
        urls.push(`http://127.0.0.1:${port}`);
        gwProcs.push(spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'services/gateway/main.ts')], {
          cwd: REPO_ROOT,
          env: { ...process.env, ...env, GATEWAY_PORT: String(port), GATEWAY_INSTANCE_ID: `bench-gw-${i}`, OPERATOR_TOKEN: OPERATOR, GATEWAY_MAX_PENDING: '200000' },
          stdio: ['ignore', 'ignore', 'inherit'],
        }));
      }
      for (const u of urls) if (!(await waitUntil(async () => (await fetch(`${u}/healthz`)).ok, 120_000))) throw new Error(`gateway ${u} did not start`);

      progress(`provisioning ${connections} sites...`);
      const devices: Array<{ url: string; token: string }> = [];
      const chunk = 10_000;
      for (let i = 0; i < connections; i += chunk) {
        const assets: unknown[] = i === 0 ? [{ assetId: 'feeder-bench', kind: 'FEEDER', name: 'bench feeder' }] : [];
        for (let k = i; k < Math.min(connections, i + chunk); k++) {
          assets.push({ assetId: `site-${k}`, kind: 'SITE', parentId: 'feeder-bench', name: `site ${k}`, solarKwp: 6, maxChargeKw: 5, maxDischargeKw: 5 });
          assets.push({ assetId: `dev-${k}`, kind: 'DEVICE', parentId: `site-${k}`, name: `device ${k}` });
        }
        const res = await fetch(`${urls[0]}/v1/provision`, { method: 'POST', headers: { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' }, body: JSON.stringify({ assets }) });
        if (!res.ok) throw new Error(`provision: ${res.status} ${await res.text()}`);
        for (const d of ((await res.json()) as { devices: Array<{ token: string }> }).devices) devices.push({ url: urls[devices.length % gateways] ?? '', token: d.token });
      }
      progress('waiting until every gateway knows every device...');
      for (const u of urls) {
        await waitUntil(async () => ((await (await fetch(`${u}/healthz`)).json()) as { devices: number }).devices >= connections, 180_000, 1000);
      }
      const gwRssBefore = gwProcs.reduce((a, p) => a + rssKb(p.pid), 0);

      progress(`opening ${connections} WebSocket connections from ${workers} client processes...`);
      for (let i = 0; i < workers; i++) {
        const w = fork(join(REPO_ROOT, 'bench/_gateway-clients.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
        clientProcs.push(w);
        await nextMessage(w, 'ready');
      }
      const t0 = Date.now();
      const connected = await Promise.all(clientProcs.map((w, i) => {
        const p = nextMessage(w, 'connected');
        w.send({ cmd: 'connect', devices: devices.filter((_, k) => k % workers === i) });
        return p;
      }));
      const connectSec = (Date.now() - t0) / 1000;
      const held = connected.reduce((a, c) => a + c.count, 0);
      await new Promise((r) => setTimeout(r, 3_000));
      const gwRssAfter = gwProcs.reduce((a, p) => a + rssKb(p.pid), 0);
      const clientRssMb = clientProcs.reduce((a, p) => a + rssKb(p.pid), 0) / 1024;
      const bytesPerConnection = Math.round(((gwRssAfter - gwRssBefore) * 1024) / Math.max(1, held));

      progress(`sending telemetry for ${seconds}s (window ${window} frames per client process)...`);
      const cpu0 = gwProcs.reduce((a, p) => a + cpuSec(p.pid), 0);
      const sent = await Promise.all(clientProcs.map((w) => {
        const p = nextMessage(w, 'sent');
        w.send({ cmd: 'send', seconds, window });
        return p;
      }));
      const gwCpu = gwProcs.reduce((a, p) => a + cpuSec(p.pid), 0) - cpu0;
      const accepted = sent.reduce((a, s) => a + s.accepted, 0);
      const rejected = sent.reduce((a, s) => a + s.rejected, 0);
      const elapsed = Math.max(...sent.map((s) => s.elapsedSec));
      const telemetryEventsPerSec = Math.round(accepted / elapsed);
      return {
        rows: [
          ['connections held', `${held} of ${connections}`, `${connected.reduce((a, c) => a + c.failed, 0)} failed, opened in ${connectSec.toFixed(1)} s`],
          ['gateway memory per connection', `${bytesPerConnection} B`, `${gateways} gateways: ${Math.round(gwRssBefore / 1024)} -> ${Math.round(gwRssAfter / 1024)} MB`],
          ['client memory (all workers)', `${Math.round(clientRssMb)} MB`],
          ['telemetry into Kafka (acknowledged)', `${telemetryEventsPerSec} ev/s`, `${rejected} rejected`],
          ['gateway CPU per 1k frames', `${((gwCpu / Math.max(1, accepted)) * 1000).toFixed(3)} s`],
        ],
        metrics: { connections: held, bytesPerConnection, telemetryEventsPerSec, rejected, connectSec, gatewayCpuSecPer1kFrames: Number(((gwCpu / Math.max(1, accepted)) * 1000).toFixed(4)) },
        parameters: { connectionsWanted: connections, gateways, workers, seconds, window },
      };
    } finally {
      for (const w of clientProcs) w.kill('SIGKILL');
      for (const g of gwProcs) g.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 2_000));
      for (const g of gwProcs) g.kill('SIGKILL');
      await stack.down();
      rmSync(root, { recursive: true, force: true });
    }
  },
};

export default bench;
