/**
 * The simulated world's forecast providers, pure functions of (seed, area, issue time, target):
 * a grid operator issuing carbon-intensity forecasts per region and a weather service issuing
 * temperature forecasts per cell, both as the real ones behave rather than as oracles:
 *
 *   forecast(issue, target) = truth(target) x (1 + bias) + spread(h) x (0.75 A(target) + 0.45 B_issue(target))
 *
 * - bias: a per-area systematic error (a few %), the part a correction learns over days;
 * - A: smooth noise in target time (hours-long), the same for every issue: what the provider's
 *   own model gets wrong about that weather or that wind, so its error is autocorrelated and what
 *   it just got wrong predicts what it is about to get wrong;
 * - B: smooth noise that changes with every issue (each run revises);
 * - spread(h) grows with the horizon h = target - issue (a nowcast is good, day two is not).
 *
 * The noise is the simulator's hashed value noise, so a run is reproducible from its seed.
 */
import { hash32, hashUnit, smoothNoise1 } from './random.ts';

const HOUR_MS = 3_600_000;

export interface ProviderErrorModel {
  /** Systematic relative error of this area's provider, e.g. 0.04 (over-forecasts by 4 %). */
  readonly bias: number;
  /** Spread at horizon 0 and at 24 h and beyond, in the quantity's unit. */
  readonly spreadNow: number;
  readonly spreadDay: number;
  /** Noise keys. */
  readonly keyA: number;
  readonly keyB: number;
}

/** A region's grid-operator error model: bias within +-3 %, 8 -> 32 gCO2/kWh of spread. */
export const carbonProviderModel = (seed: number, areaId: string): ProviderErrorModel => ({
  bias: (hashUnit(seed, 'provider-bias', areaId) - 0.5) * 0.06,
  spreadNow: 8,
  spreadDay: 32,
  keyA: hash32(seed, 'provider-a', areaId),
  keyB: hash32(seed, 'provider-b', areaId),
});

/** A cell's weather-service temperature error model: bias within +-0.6 C of the level, 1 -> 3.5 C of spread. */
export const temperatureProviderModel = (seed: number, areaId: string): ProviderErrorModel & { readonly offsetC: number } => ({
  bias: 0,
  offsetC: (hashUnit(seed, 'provider-temp-bias', areaId) - 0.5) * 1.2,
  spreadNow: 1,
  spreadDay: 3.5,
  keyA: hash32(seed, 'provider-temp-a', areaId),
  keyB: hash32(seed, 'provider-temp-b', areaId),
});

export const spreadAt = (m: ProviderErrorModel, horizonH: number): number => m.spreadNow + (m.spreadDay - m.spreadNow) * Math.min(1, Math.max(0, horizonH) / 24);

/** The provider's forecast for targetMs as issued at issuedAtMs, given the truth there. */
export const providerValue = (m: ProviderErrorModel & { readonly offsetC?: number }, truth: number, issuedAtMs: number, targetMs: number): number => {
  const th = targetMs / HOUR_MS;
  const issueSlot = Math.floor(issuedAtMs / (30 * 60_000));
  const a = smoothNoise1(m.keyA, th / 9);
  const b = smoothNoise1(m.keyB ^ Math.imul(issueSlot, 0x9e3779b1), th / 5);
  return truth * (1 + m.bias) + (m.offsetC ?? 0) + spreadAt(m, (targetMs - issuedAtMs) / HOUR_MS) * (0.75 * a + 0.45 * b);
};
