/**
 * Does a series' daily cycle match the sun at the place it claims, pure? Irradiance and PV rise
 * and set with the sun; when the data's mean day is shifted from the clear sky's by an hour or
 * more, something is wrong with the file or the flags, and the backtest would report a model
 * error that is really a labelling error. Warnings, not refusals: the user may know better.
 */
import { clearSkySeries } from './clearness.ts';
import { HOUR_MS, type HourlySeries } from './hourly-series.ts';

/** Circular mean hour of a 24-value daily profile (weights >= 0). */
const centroidHour = (profile: ArrayLike<number>): number => {
  let x = 0, y = 0;
  for (let h = 0; h < 24; h++) {
    const w = Math.max(0, profile[h] ?? 0);
    x += w * Math.cos(((h + 0.5) / 24) * 2 * Math.PI);
    y += w * Math.sin(((h + 0.5) / 24) * 2 * Math.PI);
  }
  return ((((Math.atan2(y, x) / (2 * Math.PI)) * 24) % 24) + 24) % 24;
};

const hm = (h: number): string => `${String(Math.floor(h)).padStart(2, '0')}:${String(Math.round((h % 1) * 60) % 60).padStart(2, '0')}`;

export const sunCycleWarnings = (s: HourlySeries, latitudeDeg: number, longitudeDeg: number, unit: string): string[] => {
  const data = new Float64Array(24), cnt = new Uint32Array(24), sky = new Float64Array(24);
  let night = 0, total = 0, max = 0;
  // The clear sky of each day, a day at a time (the sun grid is cached per day).
  for (let d = 0; d * 24 < s.values.length; d++) {
    const cs = clearSkySeries(latitudeDeg, longitudeDeg, s.startMs + d * 24 * HOUR_MS, 24);
    for (let j = 0; j < 24 && d * 24 + j < s.values.length; j++) {
      const x = s.values[d * 24 + j] ?? NaN;
      if (!Number.isFinite(x)) continue;
      const h = new Date(s.startMs + (d * 24 + j) * HOUR_MS).getUTCHours();
      data[h] = (data[h] ?? 0) + x;
      cnt[h] = (cnt[h] ?? 0) + 1;
      sky[h] = (sky[h] ?? 0) + (cs[j] ?? 0);
      total += Math.max(0, x);
      max = Math.max(max, x);
      if ((cs[j] ?? 0) <= 0) night += Math.max(0, x);
    }
  }
  const out: string[] = [];
  if (total <= 0) return ['the series is never above zero: is this irradiance or PV output?'];
  const prof = data.map((x, h) => ((cnt[h] ?? 0) > 0 ? x / (cnt[h] ?? 1) : 0));
  const a = centroidHour(prof);
  const b = centroidHour(sky);
  const diff = ((a - b + 36) % 24) - 12;
  if (Math.abs(diff) >= 1) {
    out.push(`the data's day is centred at ${hm(a)} UTC but the sun's at ${latitudeDeg}, ${longitudeDeg} at ${hm(b)} UTC (${diff > 0 ? '+' : ''}${diff.toFixed(1)} h): hour-ending labels (--hour-ending), local time instead of UTC, a flipped longitude sign or swapped latitude and longitude would do this`);
  }
  if (night / total > 0.05) out.push(`${((100 * night) / total).toFixed(0)} % of the energy falls in hours the sun is down at ${latitudeDeg}, ${longitudeDeg}: check the place and the time zone`);
  if (unit === 'W/m²' && max > 1500) out.push(`values reach ${max.toFixed(0)} W/m², above what the sun delivers: is the unit kJ/m² or Wh per interval?`);
  return out;
};
