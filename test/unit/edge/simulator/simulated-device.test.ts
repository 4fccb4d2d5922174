import { describe, expect, it } from 'vitest';
import { applyTelemetry } from '../../../../services/operational/assets/device-actor.ts';
import type { AssetState } from '../../../../services/platform/events.ts';
import type { DeviceClient } from '../../../../services/edge/simulator/device-client.ts';
import type { CellWeather } from '../../../../services/edge/simulator/physics/weather-field.ts';
import { planFleet } from '../../../../services/edge/simulator/provision-plan.ts';
import { createSimulatedDevice } from '../../../../services/edge/simulator/simulated-device.ts';

type Frame = Parameters<DeviceClient['sendTelemetry']>[0];

const weather: CellWeather = { temperatureC: 15, cloudCoverPct: 20, irradianceWPerM2: 400, dniWPerM2: 300, dhiWPerM2: 150, sun: { east: 0.2, north: -0.5, up: 0.84 }, windSpeedMPerS: 3, alert: null };
const site = planFleet({ seed: 3, sites: 1 }).sites[0];
if (site === undefined) throw new Error('the plan has a site');
const STEP = 120_000;
const T0 = Date.UTC(2026, 10, 25, 12);

/** Runs one simulated device for n steps from tMs and returns the frames it sent. */
const run = (firstSeq: number | undefined, tMs: number, n: number): Frame[] => {
  const frames: Frame[] = [];
  const client: DeviceClient = {
    sendTelemetry: (f) => void frames.push(f),
    sendAck: () => undefined,
    stats: () => ({ connected: true, sent: 0, accepted: 0, rejected: 0, replayed: 0, buffered: 0, dropped: 0, reconnects: 0, stopped: null }),
    flushed: () => Promise.resolve(true),
    close: () => undefined,
  };
  const device = firstSeq === undefined ? createSimulatedDevice(site, 50, STEP) : createSimulatedDevice(site, 50, STEP, firstSeq);
  device.attach(client);
  for (let i = 0; i < n; i++) device.tick(tMs + i * STEP, STEP, weather);
  return frames;
};

/** Feeds frames through the asset actor's device state machine; returns how many it applied. */
const applied = (start: AssetState | undefined, frames: readonly Frame[]): { state: AssetState | undefined; count: number } => {
  let state = start;
  let count = 0;
  for (const f of frames) {
    const t = { ...f, deviceId: site.deviceId, siteId: site.siteId, receivedAtMs: f.measuredAtMs, alarms: [...f.alarms] };
    const out = applyTelemetry(state, t, { batteryKwh: 13.5, maxChargeKw: 5, maxDischargeKw: 5, backupReservePct: 20 }, f.measuredAtMs, 600_000);
    if (out.kind === 'applied') {
      state = out.state;
      count++;
    }
  }
  return { state, count };
};

describe('simulated device sequence numbers', () => {
  it('starts at firstSeq and counts up by one per frame', () => {
    expect(run(5_000, T0, 4).map((f) => f.seq)).toEqual([5_000, 5_001, 5_002, 5_003]);
  });

  it('a device restarted with a later clock-based first sequence is still heard by the asset actors', () => {
    const first = applied(undefined, run(1_000_000, T0, 10));
    expect(first.count).toBe(10);
    const afterRestart = applied(first.state, run(2_000_000, T0 + 10 * STEP, 5));
    expect(afterRestart.count).toBe(5);
    expect(afterRestart.state?.lastSeq).toBe(2_000_004);
  });

  it('negative control: restarting from 1 would be dropped as replays (the bug the clock-based start fixes)', () => {
    const first = applied(undefined, run(undefined, T0, 10));
    expect(applied(first.state, run(undefined, T0 + 10 * STEP, 5)).count).toBe(0);
  });
});
