/**
 * `npm run bench -- gateway [--connections=100000] [--gateways=6] [--workers=4] [--seconds=20] [--window=2000]`
 *
 * How many device connections this machine holds, with memory per connection, and sustained
 * telemetry from devices through the gateways into Kafka (acks=-1, every frame acknowledged to its
 * device). Runs its own Kafka and registry (port base 20000: Kafka 29092, registry 28081),
 * several gateway processes (ports from 20100) and several client processes: a process may hold
 * at most `ulimit -n` (20000 here) sockets, so 100k connections need at least 6 gateways, as they
 * would behind a load balancer in production.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../services/embedded/stack/layout.ts';
import { cpuSec, nextMessage as next, provisionDevices, rssKb, spawnGateways, startBenchStack, stopAll, type BenchStack } from './_harness.ts';
import type { Benchmark } from './types.ts';

type WorkerMsg = { type: 'ready' } | { type: 'connected'; count: number; failed: number; rssMb: number } | { type: 'sent'; accepted: number; rejected: number; elapsedSec: number; rssMb: number };
const nextMessage = <T extends WorkerMsg['type']>(w: ChildProcess, type: T): Promise<Extract<WorkerMsg, { type: T }>> => next<WorkerMsg, T>(w, type);

const bench: Benchmark = {
  name: 'gateway',
  description: 'device connections held and sustained telemetry through the gateways into Kafka',
  async run({ options, progress }) {
    const connections = Number(options['connections'] ?? 100_000);
    const gateways = Number(options['gateways'] ?? Math.max(1, Math.ceil(connections / 18_000)));
    const workers = Number(options['workers'] ?? Math.max(1, Math.ceil(connections / 18_000)));
    const seconds = Number(options['seconds'] ?? 20);
    const window = Number(options['window'] ?? 2000);
    let bench: BenchStack | undefined;
    const gwProcs: ChildProcess[] = [];
    const clientProcs: ChildProcess[] = [];
    try {
      progress('starting Kafka and the registry...');
      bench = await startBenchStack(20000, ['kafka', 'registry']);
      progress(`starting ${gateways} gateway processes...`);
      const started = await spawnGateways(gateways, 20100, { ...bench.env, GATEWAY_MAX_PENDING: '200000' });
      gwProcs.push(...started.procs);
      progress(`provisioning ${connections} sites...`);
      const tProvision = Date.now();
      const devices = await provisionDevices(started.urls, connections);
      const provisionSec = (Date.now() - tProvision) / 1000;
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
          ['provisioning (API + every gateway caught up)', `${provisionSec.toFixed(1)} s`],
          ['connections held', `${held} of ${connections}`, `${connected.reduce((a, c) => a + c.failed, 0)} failed, opened in ${connectSec.toFixed(1)} s`],
          ['gateway memory per connection', `${bytesPerConnection} B`, `${gateways} gateways: ${Math.round(gwRssBefore / 1024)} -> ${Math.round(gwRssAfter / 1024)} MB`],
          ['client memory (all workers)', `${Math.round(clientRssMb)} MB`],
          ['telemetry into Kafka (acknowledged)', `${telemetryEventsPerSec} ev/s`, `${rejected} rejected`],
          ['gateway CPU per 1k frames', `${((gwCpu / Math.max(1, accepted)) * 1000).toFixed(3)} s`],
        ],
        metrics: { provisionSec, connections: held, bytesPerConnection, telemetryEventsPerSec, rejected, connectSec, gatewayCpuSecPer1kFrames: Number(((gwCpu / Math.max(1, accepted)) * 1000).toFixed(4)) },
        parameters: { connectionsWanted: connections, gateways, workers, seconds, window },
      };
    } finally {
      for (const w of clientProcs) w.kill('SIGKILL');
      await stopAll(gwProcs);
      await bench?.dispose();
    }
  },
};

export default bench;
