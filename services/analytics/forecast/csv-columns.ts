/**
 * Which columns of a CSV hold the time and the value, by name, pure. Ambiguity is an error that
 * lists the candidates (never a silent pick): a grid operator's `from, forecast, actual` export
 * backtests `actual`, not the forecast beside it. Units are read from the header (`GHI (W/m^2)`,
 * `shortwave_radiation (kJ/m²)`, `temperature (°F)`) and converted to the kind's unit.
 */
import { err, ok, type Result } from '../../platform/result.ts';
import type { SeriesKind } from './models/series-models.ts';

export type TimeColumns = { readonly kind: 'one'; readonly col: number } | { readonly kind: 'date+time'; readonly date: number; readonly time: number };

const TIME_RANKS: readonly RegExp[] = [/^(timestamp|ts|epoch|unix.?time)\b/i, /^date.?time|^datetime/i, /^time(?!zone)/i, /^(from|start|period.?start|interval.?start|valid.?(from|time)|utc)\b/i, /^date/i];
const DATE_COL = /^date\b/i;
const TIME_ONLY = /^time\b(?!stamp)/i;
/** Columns that are never the actual value: forecasts, flags, coordinates, bounds. */
const NOT_A_VALUE = /forecast|predict|fcst|source|uncert|flag|index|^(lat|lon|lng|latitude|longitude)|^(to|end)\b|etr|extraterr|clear.?sky/i;
const KIND_NAMES: Readonly<Record<SeriesKind, RegExp>> = {
  temperature: /temp|t2m|dry.?bulb/i,
  cloud: /cloud|tcc|sky.?cover|totcld/i,
  irradiance: /ghi|shortwave|global|irradiance|radiation|glo\b/i,
  carbon: /carbon|intensity|co2|emission|^actual$/i,
  solar: /pv|solar|power|generation|yield|kw/i,
  load: /load|consumption|demand|usage|kw/i,
};
/** For irradiance, beam and diffuse components are not the global horizontal value. */
const NOT_GLOBAL = /dni|dhi|direct|diffuse|normal|tilted/i;

export const findTimeColumns = (header: readonly string[], given: string | undefined): Result<TimeColumns, string> => {
  if (given !== undefined) {
    const i = header.indexOf(given);
    return i < 0 ? err(`no column named "${given}" (columns: ${header.join(', ')})`) : ok({ kind: 'one', col: i });
  }
  const date = header.findIndex((h) => DATE_COL.test(h) && !/time/i.test(h));
  const time = header.findIndex((h) => TIME_ONLY.test(h));
  if (date >= 0 && time >= 0) return ok({ kind: 'date+time', date, time });
  for (const re of TIME_RANKS) {
    const hits = header.map((h, i) => [h, i] as const).filter(([h]) => re.test(h));
    if (hits.length === 1) return ok({ kind: 'one', col: hits[0]?.[1] ?? 0 });
    if (hits.length > 1) return err(`more than one time column: ${hits.map(([h]) => `"${h}"`).join(', ')}; name one with --time-col`);
  }
  return err(`no time column (named like time, date, timestamp or from; columns: ${header.join(', ')}); name one with --time-col`);
};

export const findValueColumn = (header: readonly string[], rows: readonly string[][], kind: SeriesKind | null, exclude: readonly number[], given: string | undefined): Result<number, string> => {
  if (given !== undefined) {
    const i = header.indexOf(given);
    return i < 0 ? err(`no column named "${given}" (columns: ${header.join(', ')})`) : ok(i);
  }
  const sample = rows.slice(0, 50);
  const numeric = header.map((h, i) => [h, i] as const).filter(([h, i]) => !exclude.includes(i) && !NOT_A_VALUE.test(h) && sample.some((r) => (r[i] ?? '') !== '' && Number.isFinite(Number(r[i]))));
  let named = kind === null ? [] : numeric.filter(([h]) => KIND_NAMES[kind].test(h));
  if (kind === 'irradiance' && named.length > 1) named = named.filter(([h]) => !NOT_GLOBAL.test(h));
  const list = (xs: ReadonlyArray<readonly [string, number]>): string => xs.map(([h]) => `"${h}"`).join(', ');
  if (named.length === 1) return ok(named[0]?.[1] ?? 0);
  if (named.length > 1) return err(`more than one column could be the ${kind ?? ''} value: ${list(named)}; name one with --value-col`);
  if (numeric.length === 1) return ok(numeric[0]?.[1] ?? 0);
  return err(numeric.length === 0
    ? `no numeric value column (columns: ${header.join(', ')}); name one with --value-col`
    : `no column is named like a ${kind ?? 'known'} value and several are numeric: ${list(numeric)}; name one with --value-col`);
};

/** The kind's unit, and a converter from the unit in the column's header (null: a unit not understood). */
export const unitOf = (kind: SeriesKind, header: string): { unit: string; fromHeader: string | null; convert: ((x: number) => number) | null } => {
  const inParens = /\(([^)]*)\)|\[([^\]]*)\]/.exec(header);
  const u = (inParens?.[1] ?? inParens?.[2] ?? '').trim();
  const norm = u.toLowerCase().replace(/\s/g, '').replace('²', '2').replace('^', '');
  const same = (unit: string) => ({ unit, fromHeader: u === '' ? null : u, convert: (x: number) => x });
  switch (kind) {
    case 'irradiance': {
      if (norm === '' || norm === 'w/m2' || norm === 'wh/m2') return same('W/m²');
      if (norm === 'kj/m2') return { unit: 'W/m²', fromHeader: u, convert: (x) => x / 3.6 };
      if (norm === 'mj/m2') return { unit: 'W/m²', fromHeader: u, convert: (x) => x / 0.0036 };
      return { unit: 'W/m²', fromHeader: u, convert: null };
    }
    case 'temperature': {
      if (norm === '' || norm === '°c' || norm === 'c' || norm === 'degc') return same('°C');
      if (norm === '°f' || norm === 'f' || norm === 'degf') return { unit: '°C', fromHeader: u, convert: (x) => ((x - 32) * 5) / 9 };
      if (norm === 'k') return { unit: '°C', fromHeader: u, convert: (x) => x - 273.15 };
      return { unit: '°C', fromHeader: u, convert: null };
    }
    case 'cloud':
      if (norm === 'tenths') return { unit: '%', fromHeader: u, convert: (x) => x * 10 };
      if (norm === 'okta' || norm === 'oktas') return { unit: '%', fromHeader: u, convert: (x) => x * 12.5 };
      return same('%');
    case 'carbon':
      return same('gCO2/kWh');
    case 'solar':
    case 'load':
      if (norm === 'w') return { unit: 'kW', fromHeader: u, convert: (x) => x / 1000 };
      return same('kW');
  }
};
