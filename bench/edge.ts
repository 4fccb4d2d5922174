/**
 * The edge planner's value: a simulated fleet runs the same week twice on the same seed, once on
 * plain self-consumption (the agent with no forecast bundles, as when the cloud is unreachable)
 * and once with the agent planning from forecast bundles. The bench does not run the forecast
 * service (services/analytics/forecast needs the stack and history in ClickHouse; see docs/forecast.md), so
 * bundles of the same shape are built from the simulator's own physics with noise that grows with
 * lead time (solar, load and carbon), issued every 6 h with a 48 h hourly horizon and the cell's storm
 * watch. A third run drops the storm watches from the bundles, to separate what planning saves
 * from what storm readiness (charge to full, hold through the watch) costs. Cost is the tariff cost of grid imports minus export revenue, with the energy left in
 * the battery at the end credited at the off-peak price so neither run wins by hoarding or
 * emptying; carbon is kg CO2 of imports at the region's actual hourly intensity.
 *
 * npm run bench -- edge [--sites=200] [--days=7] [--seed=1] [--start=2025-04-07] [--carbonWeight=0.05]
 *   [--forecastError=1 (scales the noise; 0 is a perfect forecast)] [--json]
 */
import type { ForecastBundle } from '../services/platform/events.ts';
import { createAgentState, decide, defaultAgentConfig, onBundle, type AgentSpec, type AgentState } from '../services/edge/agent/agent.ts';
import { planBattery } from '../services/edge/agent/planner.ts';
import { DEFAULT_TOU, gridCost, touTariff } from '../services/edge/agent/tariff.ts';
import { carbonGPerKwhAt } from '../services/edge/simulator/physics/grid-mix.ts';
import { householdLoadKw } from '../services/edge/simulator/physics/household-load.ts';
import { hash32, hashInts3, normalFrom, toUnit } from '../services/edge/simulator/physics/random.ts';
import { siteConditions, solarKwFrom, stepSite, type SiteSpec, type SiteState } from '../services/edge/simulator/physics/site-sim.ts';
import { createWeatherField, type CellWeather } from '../services/edge/simulator/physics/weather-field.ts';
import { planFleet, type SitePlan } from '../services/edge/simulator/provision-plan.ts';
import type { BenchContext, BenchOutcome, Benchmark } from './types.ts';

const HOUR = 3_600_000;
const STEP_MS = 15 * 60_000;
const ISSUE_EVERY_MS = 6 * HOUR;
const HORIZON_STEPS = 48;

interface RunTotals { cost: number; carbonKg: number; importKwh: number; stormStarts: number; stormReady: number; replans: number; decideMs: number }

const num = (v: string | undefined, d: number): number => (v === undefined || !Number.isFinite(Number(v)) ? d : Number(v));

const edge: Benchmark = {
  name: 'edge',
  description: 'edge planner vs plain self-consumption over a simulated week (same seed)',
  run(ctx) {
    return Promise.resolve(runEdge(ctx));
  },
};

const runEdge = (ctx: BenchContext): BenchOutcome => {
  const sites = Math.max(1, Math.floor(num(ctx.options['sites'], 200)));
  const days = Math.max(1, num(ctx.options['days'], 7));
  const seed = Math.floor(num(ctx.options['seed'], 1));
  const startIso = ctx.options['start'] ?? '2025-04-07';
  const carbonWeightPerKg = num(ctx.options['carbonWeight'], 0.05);
  /** Scales the forecast noise: 0 is a perfect forecast. */
  const forecastError = Math.max(0, num(ctx.options['forecastError'], 1));
  // Local midnight of the start day in the fleet's time zone (UTC-8).
  const startMs = Date.parse(`${startIso}T08:00:00Z`);
  if (!Number.isFinite(startMs)) throw new Error(`--start=${startIso} is not a date`);
  const steps = Math.round((days * 24 * HOUR) / STEP_MS);

  const plan = planFleet({ seed, sites });
  const weather = createWeatherField(seed, plan.cells);
  const regions = new Map(plan.regions.map((r) => [r.regionId, r.grid]));
  const wCache = new Map<string, CellWeather>();
  const weatherAt = (cellId: string, t: number): CellWeather => {
    const k = `${cellId}|${t}`;
    let w = wCache.get(k);
    if (w === undefined) {
      w = weather.at(cellId, t);
      wCache.set(k, w);
    }
    return w;
  };
  const cCache = new Map<string, number>();
  const carbonAt = (regionId: string, t: number): number => {
    const hour = Math.floor(t / HOUR) * HOUR;
    const k = `${regionId}|${hour}`;
    let c = cCache.get(k);
    if (c === undefined) {
      const p = regions.get(regionId);
      if (p === undefined) throw new Error(`no region ${regionId}`);
      c = carbonGPerKwhAt(p, hour);
      cCache.set(k, c);
    }
    return c;
  };
  const siteSpec = (s: SitePlan): SiteSpec => ({ batteryKwh: s.batteryKwh, maxChargeKw: s.maxChargeKw, maxDischargeKw: s.maxDischargeKw, roundTripEfficiency: s.roundTripEfficiency, solarKwp: s.solarKwp, load: s.load });
  const agentSpec = (s: SitePlan): AgentSpec => ({ siteId: s.siteId, deviceId: s.deviceId, batteryKwh: s.batteryKwh, maxChargeKw: s.maxChargeKw, maxDischargeKw: s.maxDischargeKw, roundTripEfficiency: s.roundTripEfficiency, backupReservePct: s.backupReservePct });

  /** A forecast bundle as a forecast job would issue it: truth plus lead-time-growing noise. */
  const forecastFor = (s: SitePlan, issuedAtMs: number, storms: boolean): ForecastBundle => {
    const key = hash32(seed, 'forecast', s.siteId);
    const noise = (issue: number, k: number, what: number): number =>
      normalFrom(toUnit(hashInts3(key, issue, k, what)), toUnit(hashInts3(key ^ 0x9e3779b9, issue, k, what)));
    const issue = Math.floor(issuedAtMs / HOUR);
    const solarKw: number[] = [];
    const loadKw: number[] = [];
    const carbonGPerKwh: number[] = [];
    const temperatureC: number[] = [];
    for (let k = 0; k < HORIZON_STEPS; k++) {
      const mid = issuedAtMs + k * HOUR + HOUR / 2;
      const w = weatherAt(s.cellId, mid);
      const lead = k / HORIZON_STEPS;
      solarKw.push(Math.max(0, solarKwFrom(s.solarKwp, w.irradianceWPerM2, w.temperatureC) * (1 + forecastError * (0.1 + 0.25 * lead) * noise(issue, k, 1))));
      loadKw.push(Math.max(0.05, householdLoadKw(s.load, mid, w.temperatureC) * (1 + forecastError * (0.1 + 0.1 * lead) * noise(issue, k, 2))));
      carbonGPerKwh.push(Math.max(0, carbonAt(s.regionId, mid) * (1 + forecastError * (0.05 + 0.1 * lead) * noise(issue, k, 3))));
      temperatureC.push(w.temperatureC + forecastError * (0.5 + 2 * lead) * noise(issue, k, 4));
    }
    const alert = weatherAt(s.cellId, issuedAtMs).alert;
    return {
      siteId: s.siteId, issuedAtMs, runId: `bench-${issue}`, validFromMs: issuedAtMs, stepMinutes: 60, solarKw, loadKw, carbonGPerKwh, temperatureC,
      stormWatch: storms && alert !== null && alert.endsAtMs > issuedAtMs ? { startsAtMs: alert.startsAtMs, endsAtMs: alert.endsAtMs, severity: alert.severity } : null,
      modelVersion: 'bench-physics-plus-noise',
    };
  };

  const simulate = (withBundles: boolean, storms: boolean): RunTotals => {
    const totals: RunTotals = { cost: 0, carbonKg: 0, importKwh: 0, stormStarts: 0, stormReady: 0, replans: 0, decideMs: 0 };
    for (const s of plan.sites) {
      const spec = siteSpec(s);
      const tariff = touTariff({ utcOffsetHours: s.utcOffsetHours });
      let agent: AgentState = createAgentState(agentSpec(s), defaultAgentConfig(tariff, { carbonWeightPerKg, controlIntervalMs: STEP_MS }));
      let site: SiteState = { socPct: 50, batteryTempC: 20 };
      for (let k = 0; k < steps; k++) {
        const t = startMs + k * STEP_MS;
        if (withBundles && (t - startMs) % ISSUE_EVERY_MS === 0) agent = onBundle(agent, forecastFor(s, t, storms), t).state;
        const w = weatherAt(s.cellId, t);
        if (w.alert !== null && w.alert.startsAtMs === t) {
          totals.stormStarts++;
          if (site.socPct >= 99) totals.stormReady++;
        }
        const cond = siteConditions(spec, w, t);
        const t0 = performance.now();
        const d = decide(agent, t, { socPct: site.socPct, solarKw: cond.solarKw, loadKw: cond.loadKw });
        totals.decideMs += performance.now() - t0;
        agent = d.state;
        const r = stepSite(spec, site, cond, d.setpointKw, STEP_MS);
        site = r.state;
        const hours = STEP_MS / HOUR;
        totals.cost += gridCost(tariff, t, r.measurement.gridKw, hours);
        const importKwh = Math.max(0, r.measurement.gridKw) * hours;
        totals.importKwh += importKwh;
        totals.carbonKg += (importKwh * carbonAt(s.regionId, t)) / 1000;
      }
      totals.cost -= (site.socPct / 100) * s.batteryKwh * DEFAULT_TOU.offPeakPerKwh;
      totals.replans += agent.replans;
    }
    return totals;
  };

  ctx.progress(`${sites} sites, ${days} days from ${startIso}, seed ${seed}: self-consumption run`);
  const self = simulate(false, false);
  ctx.progress('planner run (bundles with storm watches)');
  const planned = simulate(true, true);
  ctx.progress('planner run without storm watches (the planning value alone)');
  const calm = simulate(true, false);

  // Planner time per plan, measured on its own: 48 hourly steps, as the devices re-plan.
  const sample = plan.sites.slice(0, Math.min(200, plan.sites.length));
  const bundles = sample.map((s) => forecastFor(s, startMs, true));
  const planOpts = (s: SitePlan) => ({ tariff: touTariff({ utcOffsetHours: s.utcOffsetHours }), carbonWeightPerKg });
  for (let i = 0; i < 50; i++) {
    const s = sample[i % sample.length];
    const b = bundles[i % bundles.length];
    if (s !== undefined && b !== undefined) planBattery(agentSpec(s), b, 50, startMs, planOpts(s));
  }
  const times: number[] = [];
  for (let rep = 0; rep < 3; rep++) {
    sample.forEach((s, i) => {
      const b = bundles[i];
      if (b === undefined) return;
      const t0 = performance.now();
      planBattery(agentSpec(s), b, 30 + ((i * 7) % 60), startMs, planOpts(s));
      times.push((performance.now() - t0) * 1000);
    });
  }
  times.sort((a, b) => a - b);
  const planMicros = times.reduce((a, b) => a + b, 0) / times.length;
  const planP99Micros = times[Math.floor(times.length * 0.99)] ?? 0;

  const pct = (a: number, b: number): number => (a === 0 ? 0 : ((a - b) / Math.abs(a)) * 100);
  const r2 = (x: number): number => Math.round(x * 100) / 100;
  const metrics = {
    selfConsumptionCost: r2(self.cost),
    plannerCost: r2(planned.cost),
    costSavingPct: r2(pct(self.cost, planned.cost)),
    costRatio: r2(planned.cost / self.cost),
    plannerNoStormCost: r2(calm.cost),
    costSavingNoStormPct: r2(pct(self.cost, calm.cost)),
    selfConsumptionCarbonKg: r2(self.carbonKg),
    plannerCarbonKg: r2(planned.carbonKg),
    carbonSavingPct: r2(pct(self.carbonKg, planned.carbonKg)),
    plannerNoStormCarbonKg: r2(calm.carbonKg),
    carbonSavingNoStormPct: r2(pct(self.carbonKg, calm.carbonKg)),
    selfConsumptionImportKwh: r2(self.importKwh),
    plannerImportKwh: r2(planned.importKwh),
    stormStarts: planned.stormStarts,
    selfConsumptionStormReadyPct: r2(self.stormStarts === 0 ? 0 : (self.stormReady / self.stormStarts) * 100),
    plannerStormReadyPct: r2(planned.stormStarts === 0 ? 0 : (planned.stormReady / planned.stormStarts) * 100),
    planMicros: Math.round(planMicros),
    planP99Micros: Math.round(planP99Micros),
    plansPerSiteDay: r2(planned.replans / sites / days),
    decideMicros: r2((planned.decideMs * 1000) / (sites * steps)),
  };
  return {
    rows: [
      ['cost, self-consumption', metrics.selfConsumptionCost.toFixed(2), 'tariff cost over the fleet, end SoC credited'],
      ['cost, planner', metrics.plannerCost.toFixed(2), `${metrics.costSavingPct} % saved (ratio ${metrics.costRatio}), storm watches included`],
      ['cost, planner without storm watches', metrics.plannerNoStormCost.toFixed(2), `${metrics.costSavingNoStormPct} % saved: planning alone`],
      ['carbon kg, self-consumption', metrics.selfConsumptionCarbonKg.toFixed(1), 'imports x actual grid intensity'],
      ['carbon kg, planner', metrics.plannerCarbonKg.toFixed(1), `${metrics.carbonSavingPct} % saved`],
      ['carbon kg, planner without storm watches', metrics.plannerNoStormCarbonKg.toFixed(1), `${metrics.carbonSavingNoStormPct} % saved`],
      ['storm starts', String(metrics.stormStarts), `full at start: planner ${metrics.plannerStormReadyPct} %, self ${metrics.selfConsumptionStormReadyPct} %`],
      ['plan time', `${metrics.planMicros} µs`, `p99 ${metrics.planP99Micros} µs, 48 hourly steps x 101 SoC levels`],
      ['plans per site-day', metrics.plansPerSiteDay.toFixed(2), 'new bundles every 6 h plus drift re-plans'],
      ['decide time', `${metrics.decideMicros} µs`, 'mean per control step, planner run, plans included'],
    ],
    metrics,
    parameters: { sites, days, seed, start: startIso, carbonWeightPerKg, forecastError, stepMinutes: STEP_MS / 60_000, bundleEveryHours: ISSUE_EVERY_MS / HOUR, horizonHours: HORIZON_STEPS },
  };
};

export default edge;
