// Guards the demo's verdict line: the worst telemetry ack p99 ignores the first 20 s, and a window
// with no telemetry accepted counts as a stall only once the whole fleet has been online (the
// 2,000-site demo used to fall to 0 events/s after each grid event).
import { describe, expect, it } from 'vitest';
import { demoVerdict, type DemoWindow } from '../../../services/demo/demo-report.ts';

const w = (atMs: number, framesAccepted: number, ackP99Ms: number | null, fleetOnline: boolean): DemoWindow => ({ atMs, framesAccepted, ackP99Ms, fleetOnline });

describe('demo verdict', () => {
  it('takes the worst p99 after 20 s and counts zero-rate windows after the fleet is online', () => {
    const v = demoVerdict([w(5_000, 0, 5_000, false), w(10_000, 0, null, false), w(15_000, 900, 250, true), w(20_000, 0, 100, true), w(25_000, 1000, 400, true), w(30_000, 0, null, true), w(35_000, 1000, Infinity, true)]);
    expect(v).toEqual({ telemetryAckP99MsWorst: Infinity, zeroRateWindows: 2, windows: 3 });
    expect(demoVerdict([w(25_000, 10, 50, true)])).toEqual({ telemetryAckP99MsWorst: 50, zeroRateWindows: 0, windows: 1 });
  });
});
