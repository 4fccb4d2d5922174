import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DeviceInfo } from '../../../../services/operational/gateway/device-directory.ts';
import type { TelemetryFrame } from '../../../../services/platform/device-protocol.ts';
import { validateTelemetry } from '../../../../services/operational/gateway/telemetry-validation.ts';
import { isReplay, markAccepted, newReplayWindow } from '../../../../services/operational/gateway/replay-window.ts';

const device: DeviceInfo = { deviceId: 'dev-1', siteId: 'site-1', maxChargeKw: 5, maxDischargeKw: 4, solarKwp: 6, revokedBeforeMs: null };
const f = (o: Partial<TelemetryFrame> = {}): TelemetryFrame => ({
  type: 'telemetry', seq: 5, measuredAtMs: 1_000_000, socPct: 50, batteryKw: 1, solarKw: 2, loadKw: 1, gridKw: 0, batteryTempC: 20, mode: 'IDLE', alarms: [], activeCommandId: null, ...o,
});
const ctx = { device, nowMs: 1_000_000, skewMs: 60_000, maxAgeMs: 600_000, isReplay: () => false };

describe('validateTelemetry', () => {
  it('stamps identity from the device, not the frame', () => {
    expect(validateTelemetry(f(), ctx)).toMatchObject({ ok: true, value: { deviceId: 'dev-1', siteId: 'site-1', seq: 5, receivedAtMs: 1_000_000 } });
  });

  it('refuses values beyond the device limits with value and limit in the message', () => {
    const r = validateTelemetry(f({ batteryKw: 4.5, socPct: 101 }), ctx);
    expect(r).toMatchObject({ ok: false, error: { code: 'OUT_OF_RANGE' } });
    if (!r.ok) expect(r.error.message).toMatch(/socPct 101.*batteryKw 4.5 exceeds the discharge limit 4 kW/);
    expect(validateTelemetry(f({ batteryKw: -5.2 }), ctx)).toMatchObject({ ok: true });
    expect(validateTelemetry(f({ batteryKw: -5.3 }), ctx)).toMatchObject({ ok: false });
  });

  it('refuses replays and clock skew', () => {
    expect(validateTelemetry(f(), { ...ctx, isReplay: (s) => s === 5 })).toMatchObject({ ok: false, error: { code: 'REPLAYED' } });
    expect(validateTelemetry(f({ measuredAtMs: 1_000_000 + 61_000 }), ctx)).toMatchObject({ ok: false, error: { code: 'CLOCK_SKEW' } });
    // A frame buffered while offline may be old, up to maxAgeMs.
    expect(validateTelemetry(f({ measuredAtMs: 1_000_000 - 500_000 }), ctx)).toMatchObject({ ok: true });
    expect(validateTelemetry(f({ measuredAtMs: 1_000_000 - 601_000 }), ctx)).toMatchObject({ ok: false, error: { code: 'CLOCK_SKEW' } });
  });

  it('accepts every in-range frame (property)', () => {
    fc.assert(fc.property(
      fc.double({ min: 0, max: 100, noNaN: true }), fc.double({ min: -5, max: 4, noNaN: true }), fc.double({ min: 0, max: 7.1, noNaN: true }),
      (socPct, batteryKw, solarKw) => {
        expect(validateTelemetry(f({ socPct, batteryKw, solarKw }), ctx).ok).toBe(true);
      },
    ));
  });
});

describe('replay window', () => {
  it('takes each sequence number once, in any order, and refuses what is below the floor', () => {
    fc.assert(fc.property(fc.array(fc.nat({ max: 300 }), { maxLength: 400 }), (seqs) => {
      const w = newReplayWindow();
      const accepted: number[] = [];
      for (const s of seqs) {
        if (!isReplay(w, s)) {
          markAccepted(w, s, 64);
          accepted.push(s);
        }
      }
      expect(new Set(accepted).size).toBe(accepted.length);
      for (const s of accepted) expect(isReplay(w, s)).toBe(true);
    }));
  });

  it('lets a frame refused for a retryable reason in after later ones (the regression that lost frames)', () => {
    // Regression: with a single high-water mark, seq 958 refused while Kafka was down was
    // refused again as a replay after 959..991 got in, and was lost.
    const w = newReplayWindow();
    for (let s = 959; s <= 991; s++) markAccepted(w, s, 4096);
    expect(isReplay(w, 958)).toBe(false);
  });
});
