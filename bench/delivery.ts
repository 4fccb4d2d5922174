/**
 * `npm run bench -- delivery [--devices=10000] [--pollSec=30] [--jitterMs=2000] [--fanoutPerSec=20000] [--pollWaitSec=90] [--workers=2]`
 *
 * Push against poll for delivering one new forecast bundle to every device: a bundle per site is
 * published to fleet.forecasts.v1 at once (as a forecast run does), and each device notes when it
 * has it. For each mode: time until 50 %, 99 % and 100 % of devices have it, gateway CPU seconds
 * and bytes per delivered bundle, and the peak messages per second the gateway handled (the load
 * spike). Devices beyond one process's socket limit are spread over several gateways.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createAvroCodec, createRegistryClient } from '../services/platform/avro-codec.ts';
import { createKafkaAdapter } from '../services/platform/kafka.ts';
import { createLogger } from '../services/platform/logger.ts';
import { TopicNames } from '../services/platform/topics.ts';
import { REPO_ROOT } from '../services/embedded/stack/layout.ts';
import { cpuSec, nextMessage, provisionDevices, spawnGateways, startBenchStack, stopAll, type BenchStack } from './_harness.ts';
import type { Benchmark } from './types.ts';
import { openTopicWriter } from '../services/platform/topic-writer.ts';

/**
 * When `share` of all `devices` had the bundle (times sorted, one per device that got it): a
 * device that never got it counts as never, so 99 % is not reached while more than 1 % wait.
 */
export const shareReachedSec = (sortedTimes: readonly number[], devices: number, share: number): number => {
  const i = Math.max(0, Math.ceil(share * devices) - 1);
  return i < sortedTimes.length ? (sortedTimes[i] ?? NaN) : NaN;
};

type Msg = { type: 'ready' } | { type: 'started'; count: number } | { type: 'watching' } | { type: 'report'; receivedAt: number[]; bytes: number; requests: number; peakPerSec: number };

interface PhaseResult {
  p50Sec: number;
  p99Sec: number;
  allSec: number;
  delivered: number;
  cpuSecPer1k: number;
  bytesPerDelivery: number;
  peakPerSec: number;
  requests: number;
}

const bench: Benchmark = {
  name: 'delivery',
  description: 'push (WebSocket) against poll (HTTP + ETag) for one forecast bundle to every device',
  async run({ options, progress }) {
    const devicesWanted = Number(options['devices'] ?? 10_000);
    const pollSec = Number(options['pollSec'] ?? 30);
    const jitterMs = Number(options['jitterMs'] ?? 2_000);
    const fanoutPerSec = Number(options['fanoutPerSec'] ?? 20_000);
    // How long the poll phase waits for every device (a 2-core machine cannot serve 100k devices' polls every 30 s).
    const pollWaitSec = Number(options['pollWaitSec'] ?? pollSec * 2 + 30);
    const workers = Number(options['workers'] ?? Math.max(2, Math.ceil(devicesWanted / 18_000)));
    const gateways = Math.max(1, Math.ceil(devicesWanted / 18_000));
    let bench: BenchStack | undefined;
    const procs: ChildProcess[] = [];
    const clients: ChildProcess[] = [];
    try {
      progress('starting Kafka, the registry and the gateways...');
      bench = await startBenchStack(21000, ['kafka', 'registry']);
      const gw = await spawnGateways(gateways, 21100, { ...bench.env, GATEWAY_FANOUT_JITTER_MS: String(jitterMs), GATEWAY_FANOUT_PER_SEC: String(fanoutPerSec) });
      procs.push(...gw.procs);
      progress(`provisioning ${devicesWanted} devices...`);
      const devices = await provisionDevices(gw.urls, devicesWanted);
      const kafka = createKafkaAdapter({ brokers: bench.config.kafkaBrokers, clientId: 'bench-delivery', logger: createLogger('warn') });
      const codec = createAvroCodec({ registry: createRegistryClient(bench.config.registryUrl) });
      const writer = await openTopicWriter({ kafka, codec, lanes: 2 });

      const phase = async (mode: 'push' | 'poll', runId: string): Promise<PhaseResult> => {
        for (let i = 0; i < workers; i++) {
          const w = fork(join(REPO_ROOT, 'bench/_delivery-clients.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
          clients.push(w);
          await nextMessage<Msg, 'ready'>(w, 'ready');
        }
        const mine = clients.slice(-workers);
        await Promise.all(mine.map((w, i) => {
          const p = nextMessage<Msg, 'started'>(w, 'started');
          w.send({ cmd: 'start', mode, pollMs: pollSec * 1000, devices: devices.filter((_, k) => k % workers === i) });
          return p;
        }));
        // Let connections and first polls settle before the run publishes.
        await new Promise((r) => setTimeout(r, mode === 'poll' ? pollSec * 1000 + 1000 : 3_000));
        await Promise.all(mine.map((w) => {
          const p = nextMessage<Msg, 'watching'>(w, 'watching');
          w.send({ cmd: 'watch', runId });
          return p;
        }));
        const cpu0 = procs.reduce((a, p) => a + cpuSec(p.pid), 0);
        const t0 = Date.now();
        const issuedAtMs = Date.now();
        for (let i = 0; i < devices.length; i += 2000) {
          await writer.publish(TopicNames.fleetForecasts, devices.slice(i, i + 2000).map((d) => ({
            key: d.siteId,
            value: {
              siteId: d.siteId, issuedAtMs, runId, validFromMs: issuedAtMs, stepMinutes: 60,
              solarKw: Array.from({ length: 48 }, (_, h) => Math.max(0, Math.sin(((h % 24) - 6) / 12 * Math.PI)) * 5),
              loadKw: Array.from({ length: 48 }, () => 0.8), carbonGPerKwh: Array.from({ length: 48 }, (_, h) => 200 + 50 * Math.cos(h / 4)),
              temperatureC: Array.from({ length: 48 }, () => 15), stormWatch: null, modelVersion: 'bench',
            },
          })));
        }
        const deadline = t0 + (mode === 'poll' ? pollWaitSec * 1000 : 120_000);
        let reports: Array<Extract<Msg, { type: 'report' }>>;
        for (;;) {
          await new Promise((r) => setTimeout(r, 1_000));
          reports = await Promise.all(mine.map((w) => {
            const p = nextMessage<Msg, 'report'>(w, 'report');
            w.send({ cmd: 'report' });
            return p;
          }));
          const got = reports.reduce((a, r) => a + r.receivedAt.length, 0);
          progress(`${mode}: ${got}/${devices.length} have the bundle after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
          if (got >= devices.length || Date.now() > deadline) break;
        }
        const cpu = procs.reduce((a, p) => a + cpuSec(p.pid), 0) - cpu0;
        for (const w of mine) w.send({ cmd: 'exit' });
        const times = reports.flatMap((r) => r.receivedAt.map((t) => (t - t0) / 1000)).sort((a, b) => a - b);
        const delivered = times.length;
        return {
          p50Sec: shareReachedSec(times, devices.length, 0.5), p99Sec: shareReachedSec(times, devices.length, 0.99), allSec: shareReachedSec(times, devices.length, 1), delivered,
          cpuSecPer1k: (cpu / Math.max(1, delivered)) * 1000,
          bytesPerDelivery: Math.round(reports.reduce((a, r) => a + r.bytes, 0) / Math.max(1, delivered)),
          peakPerSec: Math.max(...reports.map((r) => r.peakPerSec)) * 1,
          requests: reports.reduce((a, r) => a + r.requests, 0),
        };
      };

      progress('push phase...');
      const push = await phase('push', `bench-push-${Date.now()}`);
      progress('poll phase...');
      const poll = await phase('poll', `bench-poll-${Date.now()}`);
      await writer.close();
      const f = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : 'not all');
      return {
        rows: [
          ['', 'push', 'poll'],
          ['devices with the bundle', String(push.delivered), String(poll.delivered)],
          ['50% have it after (s)', f(push.p50Sec), f(poll.p50Sec)],
          ['99% have it after (s)', f(push.p99Sec), f(poll.p99Sec)],
          ['100% have it after (s)', f(push.allSec), f(poll.allSec)],
          ['gateway CPU s per 1k deliveries', push.cpuSecPer1k.toFixed(3), poll.cpuSecPer1k.toFixed(3)],
          ['bytes per delivered bundle', String(push.bytesPerDelivery), String(poll.bytesPerDelivery)],
          ['peak messages/s at the devices', String(push.peakPerSec), String(poll.peakPerSec)],
          ['poll requests in the phase', '-', String(poll.requests)],
        ],
        metrics: {
          devices: devices.length,
          pushP50Sec: push.p50Sec, pushP99Sec: push.p99Sec, pushAllSec: push.allSec,
          pollP50Sec: poll.p50Sec, pollP99Sec: poll.p99Sec, pollAllSec: poll.allSec,
          pushCpuSecPer1kDeliveries: Number(push.cpuSecPer1k.toFixed(4)), pollCpuSecPer1kDeliveries: Number(poll.cpuSecPer1k.toFixed(4)),
          pushBytesPerDelivery: push.bytesPerDelivery, pollBytesPerDelivery: poll.bytesPerDelivery,
          pushPeakPerSec: push.peakPerSec, pollPeakPerSec: poll.peakPerSec,
        },
        parameters: { devicesWanted, pollSec, pollWaitSec, jitterMs, fanoutPerSec, workers, gateways },
      };
    } finally {
      for (const c of clients) c.kill('SIGKILL');
      await stopAll(procs);
      await bench?.dispose();
    }
  },
};

export default bench;
