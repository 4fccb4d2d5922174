/** Shared test inputs for the edge agent: a site spec, a bundle shaped like a sunny TOU day. */
import type { ForecastBundle } from '../../../../services/platform/events.ts';
import type { AgentSpec } from '../../../../services/edge/agent/agent.ts';

export const HOUR = 3_600_000;
/** Local midnight at UTC-8 on a Monday. */
export const DAY0 = Date.UTC(2025, 5, 2, 8);

export const spec: AgentSpec = { siteId: 'site-000001', deviceId: 'dev-000001', batteryKwh: 13.5, maxChargeKw: 5, maxDischargeKw: 5, roundTripEfficiency: 0.9, backupReservePct: 20 };

export const sunnySolarKw = (hourOfDay: number, kwp = 6): number => Math.max(0, kwp * 0.8 * Math.sin(((hourOfDay - 6) / 12) * Math.PI));
export const eveningLoadKw = (hourOfDay: number): number => 0.4 + (hourOfDay >= 17 && hourOfDay < 22 ? 2.2 : 0) + (hourOfDay >= 7 && hourOfDay < 9 ? 0.9 : 0);

export const bundle = (overrides: Partial<ForecastBundle> = {}, steps = 48): ForecastBundle => ({
  siteId: spec.siteId,
  issuedAtMs: DAY0,
  runId: 'run-1',
  validFromMs: DAY0,
  stepMinutes: 60,
  solarKw: Array.from({ length: steps }, (_, i) => sunnySolarKw(i % 24)),
  loadKw: Array.from({ length: steps }, (_, i) => eveningLoadKw(i % 24)),
  carbonGPerKwh: Array.from({ length: steps }, (_, i) => 300 + 150 * Math.cos(((i % 24) - 19) / 24 * 2 * Math.PI)),
  temperatureC: Array.from({ length: steps }, () => 20),
  stormWatch: null,
  modelVersion: 'test',
  ...overrides,
});
