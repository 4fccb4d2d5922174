/**
 * Household load in kW by hour of the week and outdoor temperature, with seeded smooth noise.
 * Each site draws its own profile (size, peak heights, heating and cooling sensitivity) once at
 * provisioning; the load at a time is then a pure function of (profile, time, temperature).
 */
import { hash32, hashInts3, smoothNoise1, toUnit } from './random.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export interface LoadProfileParams {
  /** Always-on load (fridge, standby), kW. */
  readonly baseKw: number;
  readonly morningPeakKw: number;
  readonly eveningPeakKw: number;
  /** Daytime occupancy on weekends adds this much from late morning to afternoon, kW. */
  readonly weekendDaytimeKw: number;
  readonly heatingKwPerDegC: number;
  readonly coolingKwPerDegC: number;
  readonly heatingBelowC: number;
  readonly coolingAboveC: number;
  /** Relative amplitude of the smooth noise, 0..1. */
  readonly noiseFraction: number;
  /** Local time = UTC + this (the site's time zone, roughly). */
  readonly utcOffsetHours: number;
  /** Key of the site's noise stream (derived from seed and site id). */
  readonly noiseKey: number;
}

export const loadProfileParams = (seed: number, siteId: string, utcOffsetHours: number): LoadProfileParams => {
  // One string hash per site, then integer draws: provisioning 100k sites stays fast.
  const key = hash32(seed, 'load', siteId);
  const u = (i: number): number => toUnit(hashInts3(key, i, 0, 0));
  const size = 0.7 + 0.7 * u(0);
  return {
    baseKw: 0.25 * size + 0.15 * u(1),
    morningPeakKw: (0.6 + 0.8 * u(2)) * size,
    eveningPeakKw: (1.2 + 1.3 * u(3)) * size,
    weekendDaytimeKw: (0.3 + 0.6 * u(4)) * size,
    heatingKwPerDegC: u(5) < 0.4 ? (0.08 + 0.12 * u(6)) * size : 0.02,
    coolingKwPerDegC: u(7) < 0.6 ? (0.1 + 0.15 * u(8)) * size : 0,
    heatingBelowC: 14 + 4 * u(9),
    coolingAboveC: 23 + 4 * u(10),
    noiseFraction: 0.15 + 0.15 * u(11),
    utcOffsetHours,
    noiseKey: hashInts3(key, 0x10ad, 0, 0),
  };
};

const bump = (x: number, centre: number, width: number): number => Math.exp(-(((x - centre) / width) ** 2));

/** Load at tMs for an outdoor temperature, kW (> 0). */
export const householdLoadKw = (p: LoadProfileParams, tMs: number, temperatureC: number): number => {
  const localMs = tMs + p.utcOffsetHours * HOUR_MS;
  const hour = (((localMs % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
  const dow = new Date(localMs).getUTCDay();
  const weekend = dow === 0 || dow === 6;
  const morning = p.morningPeakKw * bump(hour, weekend ? 9 : 7.25, weekend ? 1.8 : 1.1);
  const evening = p.eveningPeakKw * (bump(hour, 19, 2.2) + 0.3 * bump(hour, 22, 1.5));
  const daytime = weekend ? p.weekendDaytimeKw * bump(hour, 13.5, 3.5) : 0;
  const occupied = 0.4 + 0.6 * Math.max(bump(hour, 8, 3), bump(hour, 19, 5), weekend ? 1 : 0);
  const heating = Math.max(0, p.heatingBelowC - temperatureC) * p.heatingKwPerDegC * occupied;
  const cooling = Math.max(0, temperatureC - p.coolingAboveC) * p.coolingKwPerDegC * occupied;
  const shape = p.baseKw + morning + evening + daytime + heating + cooling;
  const noise = 1 + p.noiseFraction * smoothNoise1(p.noiseKey, tMs / (0.75 * HOUR_MS));
  return Math.max(0.05, shape * noise);
};
