import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAgentState, decide, defaultAgentConfig, onBundle } from '../../../../services/edge/agent/agent.ts';
import { touTariff } from '../../../../services/edge/agent/tariff.ts';
import { alignSeries } from '../../../../services/analytics/forecast/align-series.ts';
import { buildBundle } from '../../../../services/analytics/forecast/bundles.ts';
import { FALLBACK_CARBON_G_PER_KWH } from '../../../../services/analytics/forecast/models/emissions-model.ts';
import { FALLBACK_TEMPERATURE_C } from '../../../../services/analytics/forecast/models/weather-model.ts';
import type { SiteFeatures } from '../../../../services/analytics/forecast/site-features.ts';
import { decodeShared, decodeSites, encodeShared, encodeSites, type SiteRunShared } from '../../../../services/analytics/forecast/snapshot-codec.ts';

const HOUR = 3_600_000;
const ISSUED = Date.UTC(2025, 5, 3, 6, 30);
const FROM = Date.UTC(2025, 5, 3, 6);

const site = (over: Partial<SiteFeatures> = {}): SiteFeatures => ({
  siteId: 'site-1', latitudeDeg: 48.1, longitudeDeg: 11.6, solarKwp: 6, solarFactor: 0.85, tiltDeg: NaN, azimuthDeg: NaN, altitudeM: NaN, heatKwPerC: 0, coolKwPerC: 0.05, cell: 0, region: 0,
  recentHourMs: FROM - HOUR, recentKw: 0.9, howKw: new Float32Array(168).fill(0.7), ...over,
});
const shared: SiteRunShared = {
  runId: 'sites-1', issuedAtMs: ISSUED, validFromMs: FROM, cellIds: ['cell-a'], regionIds: ['grid-n'],
  cells: [{ temperatureC: new Array<number>(48).fill(18), clearness: new Array<number>(48).fill(0.8), alerts: [{ kind: 'STORM', severity: 'WARNING', startsAtMs: FROM + 10 * HOUR, endsAtMs: FROM + 14 * HOUR }], hdd: new Array<number>(168).fill(0), cdd: new Array<number>(168).fill(0), inline: false }],
  regions: [{ carbonGPerKwh: new Array<number>(48).fill(250), inline: false }],
};

describe('bundles', () => {
  it('carry 48 hourly values of every series, the cell alert as storm watch, and what the edge agent plans from', () => {
    const { bundle, fallbacks } = buildBundle(site(), shared);
    expect(fallbacks).toBe(0);
    expect(bundle).toMatchObject({ siteId: 'site-1', issuedAtMs: ISSUED, validFromMs: FROM, stepMinutes: 60, stormWatch: { severity: 'WARNING', startsAtMs: FROM + 10 * HOUR, endsAtMs: FROM + 14 * HOUR } });
    for (const s of [bundle.solarKw, bundle.loadKw, bundle.carbonGPerKwh, bundle.temperatureC]) expect(s).toHaveLength(48);
    const spec = { siteId: 'site-1', deviceId: 'dev-1', batteryKwh: 13.5, maxChargeKw: 5, maxDischargeKw: 5, roundTripEfficiency: 0.9, backupReservePct: 20 };
    const config = defaultAgentConfig(touTariff());
    const taken = onBundle(createAgentState(spec, config), bundle, ISSUED);
    expect(taken.accepted).toBe(true);
    const d = decide(taken.state, ISSUED + 60_000, { socPct: 50, solarKw: 1, loadKw: 0.8 });
    expect(d.state.plan).not.toBeNull();
    // The same run's bundle again (a retried chunk) or an older one: not newer, ignored.
    expect(onBundle(d.state, buildBundle(site(), shared).bundle, ISSUED).accepted).toBe(false);
    expect(onBundle(d.state, { ...bundle, issuedAtMs: ISSUED - HOUR }, ISSUED).accepted).toBe(false);
    expect(onBundle(d.state, { ...bundle, issuedAtMs: ISSUED + HOUR }, ISSUED).accepted).toBe(true);
  });

  it('a site with no cell, no region and no history gets the documented fallbacks, not an error', () => {
    const { bundle, fallbacks } = buildBundle(site({ cell: -1, region: -1, solarFactor: NaN, howKw: new Float32Array(168).fill(NaN), recentKw: NaN, latitudeDeg: NaN }), shared);
    expect(fallbacks).toBe(4);
    expect(bundle.temperatureC.every((t) => t === FALLBACK_TEMPERATURE_C)).toBe(true);
    expect(bundle.carbonGPerKwh.every((c) => c === FALLBACK_CARBON_G_PER_KWH)).toBe(true);
    expect(bundle.solarKw.every((s) => s === 0)).toBe(true); // no place, no sun: zero, not NaN
    expect(bundle.loadKw.every((l) => l === 1)).toBe(true);
    expect(bundle.stormWatch).toBeNull();
  });

  it('uses the array\'s tilt and azimuth: an east array makes more of its energy before noon, a learned factor keeps its level', () => {
    const sum = (a: readonly number[]): number => a.reduce((x, y) => x + y, 0);
    const flat = buildBundle(site(), shared).bundle.solarKw;
    const east = buildBundle(site({ tiltDeg: 40, azimuthDeg: 90 }), shared).bundle.solarKw;
    const west = buildBundle(site({ tiltDeg: 40, azimuthDeg: 270 }), shared).bundle.solarKw;
    // 48 h from 06 UTC at 11.6 E: solar noon near 11:15 UTC, i.e. steps 5 and 29.
    const beforeNoon = (a: readonly number[]): number => sum(a.slice(0, 5)) + sum(a.slice(24, 29));
    expect(beforeNoon(east) / sum(east)).toBeGreaterThan(beforeNoon(flat) / sum(flat) + 0.05);
    expect(beforeNoon(west) / sum(west)).toBeLessThan(beforeNoon(flat) / sum(flat) - 0.05);
    // With a learned factor (learned against the horizontal), the horizon's energy stays the flat one's.
    expect(sum(east) / sum(flat)).toBeCloseTo(1, 2);
    // Without history, the fallback performance ratio meets the plane's own irradiance: a steep
    // south array in June gets less than a flat one, a mild one a little more.
    const noHistory = (over: Partial<SiteFeatures>): number => sum(buildBundle(site({ solarFactor: NaN, ...over }), shared).bundle.solarKw);
    expect(noHistory({ tiltDeg: 80, azimuthDeg: 180 })).toBeLessThan(0.8 * noHistory({}));
    expect(noHistory({ tiltDeg: 20, azimuthDeg: 180 })).toBeGreaterThan(noHistory({}));
    // Negative control: an orientation out of range (tilt 120) is ignored, the array taken as flat.
    expect(buildBundle(site({ tiltDeg: 120, azimuthDeg: 90 }), shared).bundle.solarKw).toEqual(flat);
  });

  it('the same snapshot gives the same bundle, every time (what makes a retried chunk publish identical bytes)', () => {
    expect(JSON.stringify(buildBundle(site(), decodeShared(encodeShared(shared))).bundle)).toBe(JSON.stringify(buildBundle(site(), shared).bundle));
  });
});

describe('snapshot codec', () => {
  it('round-trips sites (loads to the watt, NaN kept) and refuses corrupt bytes', () => {
    const arb = fc.record({
      siteId: fc.string({ minLength: 1, maxLength: 30 }), latitudeDeg: fc.double({ min: -90, max: 90, noNaN: true }), longitudeDeg: fc.double({ min: -180, max: 180, noNaN: true }),
      solarKwp: fc.double({ min: 0, max: 50, noNaN: true }), solarFactor: fc.oneof(fc.constant(NaN), fc.double({ min: 0, max: 2, noNaN: true })),
      tiltDeg: fc.oneof(fc.constant(NaN), fc.double({ min: 0, max: 90, noNaN: true })), azimuthDeg: fc.oneof(fc.constant(NaN), fc.double({ min: 0, max: 360, noNaN: true })),
      altitudeM: fc.oneof(fc.constant(NaN), fc.double({ min: -100, max: 4000, noNaN: true })),
      heatKwPerC: fc.double({ min: -1, max: 1, noNaN: true }), coolKwPerC: fc.double({ min: -1, max: 1, noNaN: true }), cell: fc.integer({ min: -1, max: 1000 }), region: fc.integer({ min: -1, max: 50 }),
      recentHourMs: fc.oneof(fc.constant(NaN), fc.integer({ min: 0, max: 2e12 })), recentKw: fc.double({ min: 0, max: 30, noNaN: true }),
      howKw: fc.array(fc.oneof(fc.constant(NaN), fc.double({ min: 0, max: 60, noNaN: true })), { minLength: 168, maxLength: 168 }).map((a) => Float32Array.from(a)),
    });
    fc.assert(fc.property(fc.array(arb, { maxLength: 20 }), (sites) => {
      const back = decodeSites(encodeSites(sites));
      expect(back.map((s) => s.siteId)).toEqual(sites.map((s) => s.siteId));
      back.forEach((b, i) => {
        const s = sites[i];
        if (s === undefined) throw new Error('length');
        expect([b.cell, b.region, b.recentHourMs]).toEqual([s.cell, s.region, s.recentHourMs]);
        expect(b.latitudeDeg).toBeCloseTo(s.latitudeDeg, 3);
        expect(Number.isNaN(b.solarFactor)).toBe(Number.isNaN(s.solarFactor));
        for (const k of ['tiltDeg', 'azimuthDeg', 'altitudeM'] as const) {
          if (Number.isNaN(s[k])) expect(b[k]).toBeNaN();
          else expect(Math.abs(b[k] - s[k])).toBeLessThan(1e-3 * Math.max(1, Math.abs(s[k])));
        }
        for (let h = 0; h < 168; h++) {
          const x = s.howKw[h] ?? NaN;
          if (Number.isNaN(x)) expect(b.howKw[h]).toBeNaN();
          else expect(Math.abs((b.howKw[h] ?? 0) - x)).toBeLessThanOrEqual(0.0005 + 1e-6);
        }
      });
    }), { numRuns: 20 });
    const good = encodeSites([site()]);
    expect(() => decodeSites(Buffer.from('nope'))).toThrow(/bad header/);
    expect(() => decodeSites(good.subarray(0, good.length - 3))).toThrow(/truncated/);
    expect(() => decodeSites(Buffer.concat([good, Buffer.from([1])]))).toThrow(/trailing/);
  });
});

describe('aligning an earlier area forecast to a later run', () => {
  it('drops the hours already past and carries the daily cycle beyond the horizon', () => {
    const v = Array.from({ length: 48 }, (_, i) => i);
    const a = alignSeries(v, 0, 2 * HOUR, 48);
    expect(a?.slice(0, 3)).toEqual([2, 3, 4]);
    expect(a?.[46]).toBe(a?.[22]);
    expect(alignSeries(v, 5 * HOUR, 0, 48)).toBeNull();
    expect(alignSeries(v, 0, 48 * HOUR, 48)).toBeNull();
  });
});
