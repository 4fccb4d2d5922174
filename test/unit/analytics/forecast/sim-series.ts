/**
 * Hourly series from the fleet simulator's own physics (weather field, grid mix, household load,
 * PV), sampled every 15 minutes and averaged per hour as ClickHouse's rollups would: the
 * "simulated data" the models are backtested on. Not a test itself.
 */
import { gridMixAt, gridRegionParams } from '../../../../services/edge/simulator/physics/grid-mix.ts';
import { householdLoadKw, loadProfileParams } from '../../../../services/edge/simulator/physics/household-load.ts';
import { arrayIrradiance, solarKwFrom } from '../../../../services/edge/simulator/physics/site-sim.ts';
import { createWeatherField } from '../../../../services/edge/simulator/physics/weather-field.ts';
import { HOUR_MS, type HourlySeries } from '../../../../services/analytics/forecast/models/hourly-series.ts';
import type { ProviderIssue } from '../../../../services/analytics/forecast/models/provider-correction.ts';
import { carbonProviderModel, providerValue, temperatureProviderModel } from '../../../../services/edge/simulator/physics/provider-forecast.ts';

export const SIM_PLACE = { latitudeDeg: 48.1, longitudeDeg: 11.6 } as const;
/** The simulated site's array: 5 kWp, tilted 30 degrees, facing south-south-west, as a provisioned site might. */
export const SIM_ARRAY = { tiltDeg: 30, azimuthDeg: 200 } as const;

export interface SimSeries {
  readonly temperature: HourlySeries;
  readonly cloud: HourlySeries;
  readonly irradiance: HourlySeries;
  readonly carbon: HourlySeries;
  readonly solar: HourlySeries;
  readonly load: HourlySeries;
}

export const simSeries = (seed: number, startMs: number, days: number): SimSeries => {
  const field = createWeatherField(seed, [{ cellId: 'c1', ...SIM_PLACE }]);
  const grid = gridRegionParams(seed, 'r1', SIM_PLACE.latitudeDeg, SIM_PLACE.longitudeDeg);
  const load = loadProfileParams(seed, 'site-1', 1);
  const n = days * 24;
  const mk = (): Float64Array => new Float64Array(n);
  const s = { temperature: mk(), cloud: mk(), irradiance: mk(), carbon: mk(), solar: mk(), load: mk() };
  for (let i = 0; i < n; i++) {
    const acc = [0, 0, 0, 0, 0, 0];
    for (let q = 0; q < 4; q++) {
      const t = startMs + i * HOUR_MS + q * 15 * 60_000;
      const w = field.at('c1', t);
      const parts = [w.temperatureC, w.cloudCoverPct, w.irradianceWPerM2, gridMixAt(grid, t).carbonGPerKwh, solarKwFrom(5, arrayIrradiance(SIM_ARRAY, w), w.temperatureC), householdLoadKw(load, t, w.temperatureC)];
      parts.forEach((x, k) => (acc[k] = (acc[k] ?? 0) + x / 4));
    }
    s.temperature[i] = acc[0] ?? 0;
    s.cloud[i] = acc[1] ?? 0;
    s.irradiance[i] = acc[2] ?? 0;
    s.carbon[i] = acc[3] ?? 0;
    s.solar[i] = acc[4] ?? 0;
    s.load[i] = acc[5] ?? 0;
  }
  const wrap = (values: Float64Array): HourlySeries => ({ startMs, values });
  return { temperature: wrap(s.temperature), cloud: wrap(s.cloud), irradiance: wrap(s.irradiance), carbon: wrap(s.carbon), solar: wrap(s.solar), load: wrap(s.load) };
};

/**
 * The simulated provider's issues for a series (services/edge/simulator/physics/provider-forecast.ts):
 * every `everyMin` from startMs, 48 hourly values each, as the simulator publishes them, with
 * the truth taken from the series itself.
 */
export const simProviderIssues = (seed: number, kind: 'carbon' | 'temperature', truth: HourlySeries, everyMin = kind === 'carbon' ? 30 : 60): ProviderIssue[] => {
  const m = kind === 'carbon' ? carbonProviderModel(seed, 'r1') : temperatureProviderModel(seed, 'c1');
  const out: ProviderIssue[] = [];
  const endMs = truth.startMs + truth.values.length * HOUR_MS;
  for (let t = truth.startMs; t < endMs; t += everyMin * 60_000) {
    const startMs = Math.floor(t / HOUR_MS) * HOUR_MS;
    const values = new Float64Array(48);
    for (let j = 0; j < 48; j++) {
      const target = startMs + j * HOUR_MS;
      const x = truth.values[Math.round((target - truth.startMs) / HOUR_MS)] ?? NaN;
      values[j] = Number.isFinite(x) ? providerValue(m, x, t, target) : NaN;
    }
    out.push({ issuedAtMs: t, startMs, values });
  }
  return out;
};
