/**
 * The edge planner: a dynamic program over the battery's state of charge.
 *
 * State: SoC on a grid of `socStepPct` (1 % by default, 101 levels), the value function
 * interpolated linearly between levels; stages: the bundle's steps from now to the end of its
 * horizon (the first one partial, starting exactly at the measured SoC). A move implies a battery
 * power through the same physics as battery.ts (one-way efficiency sqrt(RTE) each side); moves
 * are to every level within the power limits, plus full power and exactly covering the net load,
 * so every plan respects power and energy limits by construction. The stage cost is
 * the import cost under the tariff plus carbonWeightPerKg x kg CO2 of the import, minus export
 * revenue. Two soft constraints with penalties far above any price:
 * - below the backup reserve at a step boundary (only reachable when starting below it);
 * - below the storm target (100 %) at any boundary from the last one at or before the storm
 *   watch's start to its end: the plan charges to full before the storm and holds it.
 * Penalties instead of hard walls keep the program feasible when the goal is not (then it gets as
 * close as physics allows). Stored energy at the horizon's end is credited at the cheapest import
 * price, so the plan does not dump the battery just because the forecast stops.
 * Cost: stages x levels x reachable moves, about 0.5 M additions for 48 hourly steps (~1.5 ms).
 */
import type { ForecastBundle } from '../../platform/events.ts';
import { oneWayEfficiency, type BatterySpec } from './battery.ts';
import type { Tariff } from './tariff.ts';

export interface PlannerSpec extends BatterySpec {
  readonly backupReservePct: number;
}

export interface PlanOptions {
  readonly tariff: Tariff;
  /** Currency per kg CO2 of imported energy; 0 plans for cost alone. */
  readonly carbonWeightPerKg: number;
  /** SoC grid, percent; default 1. */
  readonly socStepPct?: number;
  /** SoC to reach before a storm watch; default 100. */
  readonly stormTargetPct?: number;
}

export interface BatteryPlan {
  readonly bundleIssuedAtMs: number;
  /** Step boundaries, n + 1 of them: step i runs from boundariesMs[i] to boundariesMs[i + 1]. */
  readonly boundariesMs: ReadonlyArray<number>;
  /** Battery power per step, +discharge / -charge, kW. */
  readonly setpointsKw: ReadonlyArray<number>;
  /** Planned SoC at each boundary (n + 1), percent; socPct[0] is the start. */
  readonly socPct: ReadonlyArray<number>;
  /** Forecast load - solar per step, kW (the agent uses it to tell forecast error from plan). */
  readonly forecastNetKw: ReadonlyArray<number>;
  readonly expectedCost: number;
  readonly expectedCarbonKg: number;
  readonly storm: { readonly startsAtMs: number; readonly endsAtMs: number } | null;
}

const RESERVE_PENALTY_PER_KWH = 50;
const STORM_PENALTY_PER_KWH = 200;
/** A first partial step shorter than this share of a step is merged into the next. */
const MIN_FIRST_STEP_SHARE = 0.1;

export const bundleEndMs = (bundle: ForecastBundle): number =>
  bundle.validFromMs + Math.min(bundle.solarKw.length, bundle.loadKw.length, bundle.carbonGPerKwh.length) * bundle.stepMinutes * 60_000;

/** Plan from fromMs at startSocPct to the bundle's end; null when the bundle has nothing left. */
export const planBattery = (spec: PlannerSpec, bundle: ForecastBundle, startSocPct: number, fromMs: number, options: PlanOptions): BatteryPlan | null => {
  const stepMs = bundle.stepMinutes * 60_000;
  const endMs = bundleEndMs(bundle);
  if (!(stepMs > 0) || fromMs >= endMs) return null;
  const s0 = Math.min(100, Math.max(0, startSocPct));
  let k0 = Math.max(0, Math.floor((fromMs - bundle.validFromMs) / stepMs));
  let firstEnd = bundle.validFromMs + (k0 + 1) * stepMs;
  if (firstEnd - fromMs < MIN_FIRST_STEP_SHARE * stepMs && firstEnd < endMs) {
    k0++;
    firstEnd += stepMs;
  }
  const boundaries: number[] = [fromMs, firstEnd];
  for (let t = firstEnd + stepMs; t <= endMs; t += stepMs) boundaries.push(t);
  const n = boundaries.length - 1;
  const indexOf = (i: number): number => (i === 0 ? k0 : k0 + i); // forecast index of step i

  const socStep = options.socStepPct ?? 1;
  const levels = Math.round(100 / socStep);
  const levelKwh = (spec.batteryKwh * socStep) / 100;
  const eta = oneWayEfficiency(spec);
  const w = options.carbonWeightPerKg;

  // Penalties per boundary and level.
  const reserveLevel = spec.backupReservePct / socStep;
  const storm = bundle.stormWatch !== null && bundle.stormWatch.endsAtMs > fromMs ? { startsAtMs: bundle.stormWatch.startsAtMs, endsAtMs: bundle.stormWatch.endsAtMs } : null;
  const stormLevel = (options.stormTargetPct ?? 100) / socStep;
  let stormFrom = n + 1;
  let stormTo = -1;
  if (storm !== null) {
    for (let b = 1; b <= n; b++) {
      if ((boundaries[b] ?? 0) <= storm.startsAtMs) stormFrom = b;
      if ((boundaries[b] ?? 0) <= storm.endsAtMs) stormTo = b;
    }
    if (storm.startsAtMs <= (boundaries[1] ?? 0)) stormFrom = 1;
    if (stormFrom > n) stormFrom = n;
  }
  const penalty = (b: number, level: number): number => {
    let p = level < reserveLevel ? (reserveLevel - level) * levelKwh * RESERVE_PENALTY_PER_KWH : 0;
    if (b >= stormFrom && b <= stormTo && level < stormLevel) p += (stormLevel - level) * levelKwh * STORM_PENALTY_PER_KWH;
    return p;
  };

  // Per step: hours, net load, prices.
  const hours = new Float64Array(n);
  const net = new Float64Array(n);
  const buy = new Float64Array(n);
  const sell = new Float64Array(n);
  const carbon = new Float64Array(n);
  let cheapest = Infinity;
  for (let i = 0; i < n; i++) {
    const k = indexOf(i);
    const t0 = boundaries[i] ?? 0;
    hours[i] = ((boundaries[i + 1] ?? 0) - t0) / 3_600_000;
    net[i] = (bundle.loadKw[k] ?? 0) - (bundle.solarKw[k] ?? 0);
    const gPerKwh = bundle.carbonGPerKwh[k] ?? 0;
    carbon[i] = gPerKwh;
    buy[i] = options.tariff.importPerKwh(t0) + (w * gPerKwh) / 1000;
    sell[i] = options.tariff.exportPerKwh(t0);
    cheapest = Math.min(cheapest, options.tariff.importPerKwh(t0));
  }
  const powerOf = (storedDeltaKwh: number, h: number): number => (storedDeltaKwh >= 0 ? -storedDeltaKwh / eta / h : (-storedDeltaKwh * eta) / h);
  const stageCost = (i: number, batteryKw: number): number => {
    const grid = (net[i] ?? 0) - batteryKw;
    const h = hours[i] ?? 0;
    return grid >= 0 ? grid * h * (buy[i] ?? 0) : grid * h * (sell[i] ?? 0);
  };

  // Value function V[b][level] at boundaries 1..n, on the grid; between levels it is
  // interpolated linearly, so a move at exactly full power (which rarely lands on a level) is a
  // candidate too: discretising SoC must not cost charging speed, or a storm would find the
  // battery short.
  const L = levels + 1;
  const V = new Float64Array((n + 1) * L);
  const terminalCredit = Number.isFinite(cheapest) ? cheapest * eta : 0;
  for (let j = 0; j < L; j++) V[n * L + j] = penalty(n, j) - j * levelKwh * terminalCredit;
  const valueAt = (b: number, x: number): number => {
    const lo = Math.min(levels - 1, Math.max(0, Math.floor(x)));
    const f = Math.min(1, Math.max(0, x - lo));
    const v0 = V[b * L + lo] ?? 0;
    return v0 + ((V[b * L + lo + 1] ?? 0) - v0) * f;
  };
  /** Where the battery ends if it exactly covers the net load (or absorbs the surplus) over step i. */
  const coverLevel = (i: number, x: number): number => {
    const e = (net[i] ?? 0) * (hours[i] ?? 0);
    return x - (e >= 0 ? e / eta : e * eta) / levelKwh;
  };
  /** Best move from fractional level x over step i: the end level and its value (cost + V). */
  const bestMove = (i: number, x: number): { end: number; value: number } => {
    const h = hours[i] ?? 0;
    const upLevels = (spec.maxChargeKw * h * eta) / levelKwh;
    const downLevels = (spec.maxDischargeKw * h) / eta / levelKwh;
    const top = Math.min(levels, x + upLevels);
    const bottom = Math.max(0, x - downLevels);
    let end = x;
    let value = stageCost(i, 0) + valueAt(i + 1, x);
    const consider = (j: number): void => {
      const v = stageCost(i, powerOf((j - x) * levelKwh, h)) + valueAt(i + 1, j);
      if (v < value) {
        value = v;
        end = j;
      }
    };
    for (let j = Math.ceil(bottom - 1e-9); j <= Math.floor(top + 1e-9); j++) consider(j);
    consider(top);
    consider(bottom);
    const cover = coverLevel(i, x);
    if (cover >= bottom && cover <= top) consider(cover);
    return { end, value };
  };
  for (let i = n - 1; i >= 1; i--) {
    const h = hours[i] ?? 0;
    const up = Math.floor((spec.maxChargeKw * h * eta) / levelKwh + 1e-9);
    const down = Math.floor((spec.maxDischargeKw * h) / eta / levelKwh + 1e-9);
    // Grid-to-grid moves share their stage cost across levels: compute it once per delta.
    const costs = new Float64Array(up + down + 1);
    for (let d = -down; d <= up; d++) costs[d + down] = stageCost(i, powerOf(d * levelKwh, h));
    const next = (i + 1) * L;
    for (let l = 0; l < L; l++) {
      let best = Infinity;
      const hi = Math.min(levels, l + up);
      for (let j = Math.max(0, l - down); j <= hi; j++) {
        const v = (costs[j - l + down] ?? 0) + (V[next + j] ?? 0);
        if (v < best) best = v;
      }
      const fullUp = Math.min(levels, l + (spec.maxChargeKw * h * eta) / levelKwh);
      const fullDown = Math.max(0, l - (spec.maxDischargeKw * h) / eta / levelKwh);
      best = Math.min(best, stageCost(i, powerOf((fullUp - l) * levelKwh, h)) + valueAt(i + 1, fullUp), stageCost(i, powerOf((fullDown - l) * levelKwh, h)) + valueAt(i + 1, fullDown));
      const cover = coverLevel(i, l);
      if (cover >= fullDown && cover <= fullUp) best = Math.min(best, stageCost(i, (net[i] ?? 0)) + valueAt(i + 1, cover));
      V[i * L + l] = best + penalty(i, l);
    }
  }

  // Forward from the exact start SoC, through the same physics as battery.ts.
  const socPct: number[] = [s0];
  const setpointsKw: number[] = [];
  const forecastNetKw: number[] = [];
  let expectedCost = 0;
  let expectedCarbonKg = 0;
  let x = s0 / socStep;
  for (let i = 0; i < n; i++) {
    const h = hours[i] ?? 0;
    const { end } = bestMove(i, x);
    const kw = Math.min(spec.maxDischargeKw, Math.max(-spec.maxChargeKw, powerOf((end - x) * levelKwh, h)));
    x = end;
    setpointsKw.push(kw);
    socPct.push(Math.min(100, Math.max(0, x * socStep)));
    forecastNetKw.push(net[i] ?? 0);
    const grid = (net[i] ?? 0) - kw;
    const t0 = boundaries[i] ?? 0;
    expectedCost += grid >= 0 ? grid * h * options.tariff.importPerKwh(t0) : grid * h * (sell[i] ?? 0);
    expectedCarbonKg += (Math.max(0, grid) * h * (carbon[i] ?? 0)) / 1000;
  }
  return { bundleIssuedAtMs: bundle.issuedAtMs, boundariesMs: boundaries, setpointsKw, socPct, forecastNetKw, expectedCost, expectedCarbonKg, storm };
};

/** Where a plan is at tMs: its step, setpoint and the SoC it expects (linear within the step). */
export const planAt = (plan: BatteryPlan, tMs: number): { step: number; setpointKw: number; expectedSocPct: number; forecastNetKw: number } | null => {
  const b = plan.boundariesMs;
  const n = plan.setpointsKw.length;
  if (n === 0 || tMs < (b[0] ?? 0) || tMs >= (b[n] ?? 0)) return null;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((b[mid] ?? 0) <= tMs) lo = mid;
    else hi = mid - 1;
  }
  const t0 = b[lo] ?? 0;
  const t1 = b[lo + 1] ?? t0 + 1;
  const s0 = plan.socPct[lo] ?? 0;
  const s1 = plan.socPct[lo + 1] ?? s0;
  return { step: lo, setpointKw: plan.setpointsKw[lo] ?? 0, expectedSocPct: s0 + ((s1 - s0) * (tMs - t0)) / (t1 - t0), forecastNetKw: plan.forecastNetKw[lo] ?? 0 };
};
