import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDeviceFrame } from '../../../services/platform/device-protocol.ts';

const good = { type: 'telemetry', seq: 1, measuredAtMs: 1, socPct: 50, batteryKw: 1, solarKw: 1, loadKw: 1, gridKw: 1, batteryTempC: 20, mode: 'IDLE', alarms: [], activeCommandId: null };

describe('parseDeviceFrame', () => {
  it('accepts a well-formed telemetry frame', () => {
    expect(parseDeviceFrame(JSON.stringify(good), 4096)).toMatchObject({ ok: true, value: { type: 'telemetry', seq: 1 } });
  });

  it('names every bad field', () => {
    const r = parseDeviceFrame(JSON.stringify({ ...good, seq: -1, socPct: 'full', mode: 'TURBO' }), 4096);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('SCHEMA_INVALID');
      expect(r.error.message).toMatch(/seq must be a non-negative integer.*socPct must be a finite number.*mode must be one of/);
    }
  });

  it('refuses oversized frames before parsing them', () => {
    const r = parseDeviceFrame(JSON.stringify({ ...good, pad: 'x'.repeat(5000) }), 4096);
    expect(r).toMatchObject({ ok: false, error: { code: 'OVERSIZED' } });
  });

  it('never throws on arbitrary input, and refuses what is not an object', () => {
    fc.assert(fc.property(fc.string(), (s) => {
      const r = parseDeviceFrame(s, 4096);
      expect(typeof r.ok).toBe('boolean');
    }));
    for (const s of ['[]', '42', 'null', '"x"']) expect(parseDeviceFrame(s, 4096)).toMatchObject({ ok: false, error: { code: 'MALFORMED' } });
  });
});
