import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCarbon, formatCount, formatDurationMs, formatEnergyKwh, formatPct, formatPowerKw, formatRate, formatTempC, formatUtc } from '../../../services/console/format.ts';

describe('formatting with units', () => {
  it('power switches from kW to MW at 1 MW and keeps its sign', () => {
    expect(formatPowerKw(0)).toBe('0.0 kW');
    expect(formatPowerKw(3.25)).toBe('3.3 kW');
    expect(formatPowerKw(850)).toBe('850 kW');
    expect(formatPowerKw(999.4)).toBe('999 kW');
    expect(formatPowerKw(1000)).toBe('1.00 MW');
    expect(formatPowerKw(2400)).toBe('2.40 MW');
    expect(formatPowerKw(-40)).toBe('-40.0 kW');
    expect(formatPowerKw(-0.01)).toBe('0.0 kW');
    expect(formatPowerKw(250_000)).toBe('250 MW');
  });

  it('a missing value is a dash, never a number that claims something', () => {
    for (const f of [formatPowerKw, formatEnergyKwh, formatPct, formatCarbon, formatTempC, formatDurationMs, formatUtc]) {
      expect(f(null)).toBe('—');
      expect(f(Number.NaN)).toBe('—');
    }
    expect(formatCount(undefined, 'sites')).toBe('—');
    expect(formatRate(null, 'frames')).toBe('—');
  });

  it('every finite number carries its unit', () => {
    fc.assert(fc.property(fc.double({ min: -1e9, max: 1e9, noNaN: true }), (x) => {
      expect(formatPowerKw(x)).toMatch(/^-?\d[\d.]* (kW|MW)$/);
      expect(formatEnergyKwh(x)).toMatch(/^-?\d[\d.]* (kWh|MWh)$/);
      expect(formatPct(x)).toMatch(/ %$/);
      expect(formatCarbon(x)).toMatch(/ gCO₂\/kWh$/);
      expect(formatTempC(x)).toMatch(/ °C$/);
      expect(formatDurationMs(x)).toMatch(/ (ms|s|min \d\d s|h \d\d min)$/);
      expect(formatCount(x, 'sites')).toMatch(/ sites$/);
    }));
  });

  it('energy, counts, rates, durations and times', () => {
    expect(formatEnergyKwh(5760)).toBe('5.76 MWh');
    expect(formatEnergyKwh(12.5)).toBe('12.5 kWh');
    expect(formatCount(12345, 'devices')).toBe('12,345 devices');
    expect(formatRate(1067.4, 'frames')).toBe('1067 frames/s');
    expect(formatDurationMs(366)).toBe('366 ms');
    expect(formatDurationMs(4200)).toBe('4.2 s');
    expect(formatDurationMs(200_000)).toBe('3 min 20 s');
    expect(formatDurationMs(7_500_000)).toBe('2 h 05 min');
    expect(formatUtc(Date.UTC(2026, 10, 25, 14, 5, 9))).toBe('14:05:09 UTC');
    expect(formatUtc(Date.UTC(2026, 10, 25, 14, 5, 9), true)).toBe('2026-11-25 14:05:09 UTC');
  });
});
