/**
 * Numbers as people read them, always with their unit. Pure; the page and the server share it.
 * Power is shown in kW below 1 MW and in MW from there; a missing value is an em dash with no
 * unit (never "0 kW", which would be a claim).
 */

const MISSING = '—';

const fixed = (n: number, digits: number): string => {
  const s = n.toFixed(digits);
  return s === `-${(0).toFixed(digits)}` ? (0).toFixed(digits) : s;
};

const ok = (n: number | null | undefined): n is number => typeof n === 'number' && Number.isFinite(n);

/** Power from kW: "850 kW", "1.25 MW", "-3.2 kW". */
export const formatPowerKw = (kw: number | null | undefined): string => {
  if (!ok(kw)) return MISSING;
  const a = Math.abs(kw);
  if (a >= 1000) return `${fixed(kw / 1000, a >= 100_000 ? 0 : 2)} MW`;
  return `${fixed(kw, a >= 100 ? 0 : 1)} kW`;
};

/** Energy from kWh: "12.5 kWh", "3.40 MWh". */
export const formatEnergyKwh = (kwh: number | null | undefined): string => {
  if (!ok(kwh)) return MISSING;
  const a = Math.abs(kwh);
  if (a >= 1000) return `${fixed(kwh / 1000, a >= 100_000 ? 0 : 2)} MWh`;
  return `${fixed(kwh, a >= 100 ? 0 : 1)} kWh`;
};

export const formatPct = (pct: number | null | undefined, digits = 0): string => (ok(pct) ? `${fixed(pct, digits)} %` : MISSING);

export const formatCount = (n: number | null | undefined, unit: string): string => (ok(n) ? `${Math.round(n).toLocaleString('en-US')} ${unit}` : MISSING);

export const formatRate = (perSec: number | null | undefined, unit: string): string => (ok(perSec) ? `${fixed(perSec, perSec >= 100 ? 0 : 1)} ${unit}/s` : MISSING);

export const formatCarbon = (g: number | null | undefined): string => (ok(g) ? `${fixed(g, 0)} gCO₂/kWh` : MISSING);

export const formatTempC = (c: number | null | undefined): string => (ok(c) ? `${fixed(c, 1)} °C` : MISSING);

/** A duration from ms: "850 ms", "4.2 s", "3 min 20 s", "2 h 05 min". */
export const formatDurationMs = (ms: number | null | undefined): string => {
  if (!ok(ms)) return MISSING;
  const a = Math.abs(ms);
  const sign = ms < 0 ? '-' : '';
  if (a < 1000) return `${sign}${Math.round(a)} ms`;
  if (a < 60_000) return `${sign}${fixed(a / 1000, 1)} s`;
  const totalSec = Math.round(a / 1000);
  if (totalSec < 3600) return `${sign}${Math.floor(totalSec / 60)} min ${String(totalSec % 60).padStart(2, '0')} s`;
  const totalMin = Math.round(a / 60_000);
  return `${sign}${Math.floor(totalMin / 60)} h ${String(totalMin % 60).padStart(2, '0')} min`;
};

/** UTC time of day "14:05:09 UTC", or with the date when asked. */
export const formatUtc = (ms: number | null | undefined, withDate = false): string => {
  if (!ok(ms)) return MISSING;
  const iso = new Date(ms).toISOString();
  return `${withDate ? `${iso.slice(0, 10)} ` : ''}${iso.slice(11, 19)} UTC`;
};
