import { describe, expect, it } from 'vitest';
import { bufferEmptied, bufferFrame, type TelemetryBuffer } from '../../../../services/edge/simulator/telemetry-buffer.ts';
import type { TelemetryFrame } from '../../../../services/platform/device-protocol.ts';

const frame = (seq: number): TelemetryFrame => ({
  type: 'telemetry', seq, measuredAtMs: 0, socPct: 50, batteryKw: 0, solarKw: 0, loadKw: 0, gridKw: 0, batteryTempC: 20, mode: 'IDLE', alarms: [], activeCommandId: null,
});

describe('a device telemetry buffer', () => {
  it('keeps at most max frames, dropping the oldest, and says how many it dropped', () => {
    const b: TelemetryBuffer = new Map();
    const dropped = [1, 2, 3, 4, 5].map((s) => bufferFrame(b, frame(s), 3));
    expect(dropped).toEqual([0, 0, 0, 1, 1]);
    expect([...b.keys()]).toEqual([3, 4, 5]);
  });

  it('reports emptied only once every frame is gone', async () => {
    const b: TelemetryBuffer = new Map();
    bufferFrame(b, frame(1), 10);
    expect(await bufferEmptied(b, 120)).toBe(false);
    setTimeout(() => b.delete(1), 50);
    expect(await bufferEmptied(b, 2_000)).toBe(true);
  });
});
