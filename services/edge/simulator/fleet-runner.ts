/**
 * Runs one shard of the simulated fleet in this process: every device of the shard with its own
 * connection to a gateway (push or poll), ticking on the simulated clock; shard 0 also publishes
 * the weather and grid-mix feeds. Stats are read by the caller (the demo prints them).
 */
import type { Clock } from '../../platform/clock.ts';
import type { TopicWriter } from '../../platform/topic-writer.ts';
import type { Logger } from '../../platform/logger.ts';
import { connectDevice, type DeviceStats } from './device-client.ts';
import type { FleetConfig } from './fleet-config.ts';
import { pollDevice } from './poll-client.ts';
import { hashUnit, mulberry32 } from './physics/random.ts';
import { createWeatherField, type CellWeather } from './physics/weather-field.ts';
import type { FleetPlan } from './provision-plan.ts';
import type { Credentials } from './provision.ts';
import { createSimulatedDevice, type SimulatedDevice } from './simulated-device.ts';
import { publishWorld } from './world-feeds.ts';

export interface ShardStats {
  readonly shard: string;
  readonly devices: number;
  readonly online: number;
  readonly simTimeMs: number;
  readonly sent: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly buffered: number;
  readonly dropped: number;
  readonly reconnects: number;
  readonly worldRecords: number;
  readonly rejectsByCode: Record<string, number>;
}

export interface FleetShard {
  stats(): ShardStats;
  stop(): Promise<void>;
}

export const runFleetShard = (opts: {
  config: FleetConfig;
  plan: FleetPlan;
  credentials: Credentials;
  clock: Clock;
  world?: { writer: TopicWriter };
  logger: Logger;
  /** First sequence number of every device (default: wall-clock ms now, so a restarted fleet's sequences keep growing). */
  firstSeq?: number;
}): FleetShard => {
  const { config, plan, clock } = opts;
  const random = mulberry32(config.seed * 7919 + config.shard.index);
  const field = createWeatherField(config.seed, plan.cells);
  const stepMs = config.stepSec * 1000;
  const rejectsByCode: Record<string, number> = {};
  const devices: SimulatedDevice[] = [];
  const firstSeq = opts.firstSeq ?? Date.now();
  plan.sites.forEach((site, i) => {
    if (i % config.shard.count !== config.shard.index) return;
    const token = opts.credentials[site.deviceId];
    if (token === undefined) return;
    const device = createSimulatedDevice(site, 30 + 60 * hashUnit(config.seed, site.siteId, 'soc'), config.stepSec * 1000, firstSeq);
    const url = config.gatewayUrls[i % config.gatewayUrls.length] ?? '';
    const common = {
      url, token, random,
      onCommand: (c: Parameters<SimulatedDevice['onCommand']>[0]) => device.onCommand(c, clock.now()),
      onForecast: (b: Parameters<SimulatedDevice['onForecast']>[0]) => device.onForecast(b, clock.now()),
      onRejected: (code: string) => {
        rejectsByCode[code] = (rejectsByCode[code] ?? 0) + 1;
      },
    };
    const poll = hashUnit(config.seed, site.siteId, 'poll') < config.pollShare;
    device.attach(poll ? pollDevice({ ...common, intervalMs: config.pollIntervalSec * 1000 }) : connectDevice(common));
    devices.push(device);
  });

  // Each device measures once per simulated step, at its own phase within the step, so the
  // fleet's telemetry is spread evenly instead of arriving in one burst.
  const phase = devices.map((d) => Math.floor(hashUnit(config.seed, d.site.siteId, 'phase') * stepMs));
  const next = phase.map((p) => Math.floor(clock.now() / stepMs) * stepMs + p + stepMs);
  let worldRecords = 0;
  let worldUntil = clock.now();
  let worldBusy = false;
  let simTimeMs = clock.now();
  const weatherCache = new Map<string, CellWeather>();

  const timer = setInterval(() => {
    const now = clock.now();
    simTimeMs = now;
    weatherCache.clear();
    devices.forEach((d, i) => {
      let due = next[i] ?? now;
      // A device that fell behind (a slow process) catches up one step per tick, not all at once.
      if (due <= now) {
        const key = `${d.site.cellId}:${Math.floor(due / stepMs)}`;
        let w = weatherCache.get(key);
        if (w === undefined) {
          w = field.at(d.site.cellId, due);
          weatherCache.set(key, w);
        }
        d.tick(due, stepMs, w);
        due += stepMs;
        next[i] = due < now - 10 * stepMs ? now + (phase[i] ?? 0) % stepMs : due;
      }
    });
    if (opts.world && !worldBusy && now > worldUntil) {
      worldBusy = true;
      const from = worldUntil;
      worldUntil = now;
      publishWorld({ ...opts.world, plan, field, fromMs: from, toMs: now })
        .then((n) => {
          worldRecords += n;
        })
        .catch((e: unknown) => opts.logger.warn('world feeds not published', { error: e instanceof Error ? e.message : String(e) }))
        .finally(() => {
          worldBusy = false;
        });
    }
  }, 100);

  const sum = (f: (s: DeviceStats) => number): number => devices.reduce((a, d) => a + f(d.client()?.stats() ?? ({} as DeviceStats)), 0);
  return {
    stats: () => ({
      shard: `${config.shard.index}/${config.shard.count}`,
      devices: devices.length,
      online: devices.filter((d) => d.client()?.stats().connected === true).length,
      simTimeMs,
      sent: sum((s) => s.sent),
      accepted: sum((s) => s.accepted),
      rejected: sum((s) => s.rejected),
      buffered: sum((s) => s.buffered),
      dropped: sum((s) => s.dropped),
      reconnects: sum((s) => s.reconnects),
      worldRecords,
      rejectsByCode: { ...rejectsByCode },
    }),
    async stop() {
      clearInterval(timer);
      await Promise.all(devices.map((d) => d.client()?.flushed(5_000) ?? Promise.resolve(true)));
      for (const d of devices) d.client()?.close();
    },
  };
};
