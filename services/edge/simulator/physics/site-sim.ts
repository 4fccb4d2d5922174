/**
 * One site, one step: solar from the cell's irradiance and temperature, household load, the
 * battery moved toward the agent's setpoint, and the grid balance. What the device measures is
 * what the gateway receives as telemetry (minus identity, sequence and mode).
 */
import { siteBalance, stepBattery, type BatterySpec } from '../../agent/battery.ts';
import { poaIsotropic, surfaceNormal } from '../../../platform/plane-of-array.ts';
import { householdLoadKw, type LoadProfileParams } from './household-load.ts';

export interface SiteSpec extends BatterySpec {
  readonly solarKwp: number;
  readonly load: LoadProfileParams;
  /** The array's tilt and azimuth (degrees, azimuth clockwise from north); flat when absent. */
  readonly tiltDeg?: number;
  readonly azimuthDeg?: number;
}

export interface SiteState {
  readonly socPct: number;
  readonly batteryTempC: number;
}

export interface SiteWeather {
  readonly temperatureC: number;
  readonly irradianceWPerM2: number;
  /** The world's beam and diffuse and the sun, when the array is tilted. */
  readonly dniWPerM2?: number;
  readonly dhiWPerM2?: number;
  readonly sun?: { readonly east: number; readonly north: number; readonly up: number };
}

/**
 * The irradiance on the site's array: the world's beam and diffuse transposed with an isotropic
 * sky (the forecast model uses Hay-Davies on an Erbs split: the world and the model differ on
 * purpose), or the global horizontal for a flat array or a world without components.
 */
export const arrayIrradiance = (spec: Pick<SiteSpec, 'tiltDeg' | 'azimuthDeg'>, w: SiteWeather): number => {
  if (spec.tiltDeg === undefined || spec.azimuthDeg === undefined || w.sun === undefined || w.dniWPerM2 === undefined || w.dhiWPerM2 === undefined) return w.irradianceWPerM2;
  return poaIsotropic({ sky: { ghi: w.irradianceWPerM2, dni: w.dniWPerM2, dhi: w.dhiWPerM2 }, sun: w.sun, normal: surfaceNormal({ tiltDeg: spec.tiltDeg, azimuthDeg: spec.azimuthDeg }), dniExtra: 1361 });
};

/** What the site would do with no battery: the agent decides from these. */
export interface SiteConditions {
  readonly solarKw: number;
  readonly loadKw: number;
  readonly temperatureC: number;
}

export interface SiteMeasurement {
  readonly socPct: number;
  readonly batteryKw: number;
  readonly solarKw: number;
  readonly loadKw: number;
  readonly gridKw: number;
  readonly batteryTempC: number;
}

/** Inverter and wiring losses, soiling: the usual performance ratio. */
const PERFORMANCE_RATIO = 0.85;
/** Crystalline silicon loses about 0.4 % per degree above 25 C at the cell. */
const TEMP_COEFF_PER_C = 0.004;

/** PV output, kW: kWp x G/1000 x PR x temperature derating (cell runs ~25 C above air at 800 W/m2). */
export const solarKwFrom = (solarKwp: number, irradianceWPerM2: number, airTempC: number): number => {
  if (irradianceWPerM2 <= 0) return 0;
  const cellTempC = airTempC + (irradianceWPerM2 / 800) * 25;
  const derate = Math.max(0.5, 1 - TEMP_COEFF_PER_C * (cellTempC - 25));
  return Math.min(solarKwp, solarKwp * (irradianceWPerM2 / 1000) * PERFORMANCE_RATIO * derate);
};

export const siteConditions = (spec: SiteSpec, weather: SiteWeather, tMs: number): SiteConditions => ({
  solarKw: solarKwFrom(spec.solarKwp, arrayIrradiance(spec, weather), weather.temperatureC),
  loadKw: householdLoadKw(spec.load, tMs, weather.temperatureC),
  temperatureC: weather.temperatureC,
});

/**
 * Battery temperature: relaxes toward its enclosure (half-way between 20 C indoors and outside)
 * with a 2 h time constant, warmed by losses in proportion to |power|.
 */
const nextBatteryTempC = (tempC: number, ambientC: number, batteryKw: number, dtMs: number): number => {
  const enclosureC = 0.5 * (20 + ambientC) + 1.2 * Math.abs(batteryKw);
  const k = 1 - Math.exp(-dtMs / (2 * 3_600_000));
  return tempC + (enclosureC - tempC) * k;
};

/** Advance a site by dtMs under the given conditions and battery setpoint (+discharge / -charge). */
export const stepSite = (spec: SiteSpec, state: SiteState, conditions: SiteConditions, setpointKw: number, dtMs: number): { state: SiteState; measurement: SiteMeasurement } => {
  const battery = stepBattery(state, spec, setpointKw, dtMs);
  const batteryTempC = nextBatteryTempC(state.batteryTempC, conditions.temperatureC, battery.actualKw, dtMs);
  const next: SiteState = { socPct: battery.socPct, batteryTempC };
  return {
    state: next,
    measurement: {
      socPct: battery.socPct,
      batteryKw: battery.actualKw,
      solarKw: conditions.solarKw,
      loadKw: conditions.loadKw,
      gridKw: siteBalance({ loadKw: conditions.loadKw, solarKw: conditions.solarKw, batteryKw: battery.actualKw }),
      batteryTempC,
    },
  };
};

/** siteConditions then stepSite: weather at the site's cell, time, dt and setpoint in one call. */
export const simulateSiteStep = (spec: SiteSpec, state: SiteState, weather: SiteWeather, tMs: number, dtMs: number, setpointKw: number): { state: SiteState; measurement: SiteMeasurement } =>
  stepSite(spec, state, siteConditions(spec, weather, tMs), setpointKw, dtMs);
