/**
 * `npm run forecast -- backtest`: the model against a real series, and against a provider's
 * forecasts of it (the effects are reading files and printing; the work is pure).
 *
 *   backtest --kind <emissions|temperature|cloud|irradiance|solar|load> --csv actuals.csv
 *            [--provider-csv forecasts.csv] [--lag-min N] [--buckets 0,6,12,24,48]
 *            [--time-col C] [--value-col C] [--provider-issued-col C] [--provider-time-col C] [--provider-value-col C]
 *            [--lat X --lon Y] [--altitude M] [--tilt D --azimuth D] [--hour-ending] [--daylight-only]
 *            [--steps 48] [--stride 7] [--warmup-days 21] [--json]
 *
 * Irradiance and solar are also scored against clear-sky persistence and a 14-day clear-sky
 * climatology; solar is seen on the array's plane when --tilt and --azimuth are given (degrees,
 * azimuth clockwise from north, 180 = south), flat otherwise.
 *
 * `carbon` is the old name of `emissions` and is accepted for one release.
 */
import { readFileSync } from 'node:fs';
import { describeError } from '../../platform/errors.ts';
import { parseCsvSeries } from './csv-series.ts';
import { backtest, backtestWithProvider, type BacktestResult, type ProviderBacktestResult } from './models/backtest.ts';
import { clearSkyHourMean, MIN_CLEAR_SKY_W_PER_M2 } from './models/clearness.ts';
import { baselinePeriod, clearSkyBaselines, isSeriesKind, needsLocation, seriesModel, type SeriesKind, type SeriesLocation } from './models/series-models.ts';
import { sunCycleWarnings } from './models/sun-check.ts';
import { parseProviderCsv } from './provider-csv.ts';

/** Backtest kinds as run kinds name them; `carbon` stays an alias for one release. */
export const BACKTEST_KINDS = ['emissions', 'temperature', 'cloud', 'irradiance', 'solar', 'load'] as const;
export const kindOf = (name: string): { kind: SeriesKind; alias: boolean } | null =>
  name === 'emissions' ? { kind: 'carbon', alias: false } : name === 'carbon' ? { kind: 'carbon', alias: true } : isSeriesKind(name) ? { kind: name, alias: false } : null;
const publicName = (k: SeriesKind): string => (k === 'carbon' ? 'emissions' : k);

/** Publication delay of each kind's actuals by default, minutes (documented in docs/forecast.md). */
export const DEFAULT_LAG_MIN: Readonly<Record<SeriesKind, number>> = { carbon: 60, temperature: 60, cloud: 60, irradiance: 60, solar: 15, load: 15 };

export interface Io { out(s: string): void; err(s: string): void }

export const backtestCommand = (flags: Map<string, string>, io: Io): number => {
  const fail = (s: string): number => {
    io.err(s);
    return 2;
  };
  const k = kindOf(flags.get('kind') ?? '');
  const csv = flags.get('csv');
  if (k === null) return fail(`--kind must be one of ${BACKTEST_KINDS.join(', ')} (carbon is accepted as the old name of emissions)`);
  if (k.alias) io.err('note: --kind carbon is the old name of emissions; it is accepted for one release');
  const kind = k.kind;
  if (csv === undefined) return fail('--csv <file> is required: a time column and a value column (plus latitude and longitude for solar and irradiance)');
  const read = (f: string): string | null => {
    try {
      return readFileSync(f, 'utf8');
    } catch (e) {
      io.err(`cannot read ${f}: ${describeError(e)}`);
      return null;
    }
  };
  const text = read(csv);
  if (text === null) return 2;
  const num = (key: string): number | undefined => (flags.has(key) ? Number(flags.get(key)) : undefined);
  const lat = num('lat');
  const lon = num('lon');
  const parsed = parseCsvSeries(text, {
    kind, hourEnding: flags.get('hour-ending') === 'true',
    ...(flags.has('time-col') ? { timeCol: flags.get('time-col') ?? '' } : {}), ...(flags.has('value-col') ? { valueCol: flags.get('value-col') ?? '' } : {}),
    ...(lat !== undefined ? { latitudeDeg: lat } : {}), ...(lon !== undefined ? { longitudeDeg: lon } : {}),
  });
  if (!parsed.ok) return fail(`${csv}: ${parsed.error}`);
  const p = parsed.value;
  if (needsLocation(kind) && p.location === null) return fail(`${kind} needs the place: add latitude and longitude columns or --lat and --lon`);
  const hours = p.series.values.length;
  const steps = num('steps') ?? 48;
  const warmupHours = Math.round((num('warmup-days') ?? Math.min(21, Math.floor(hours / 24 / 3))) * 24);
  const strideHours = num('stride') ?? 7;
  const lagMin = num('lag-min') ?? DEFAULT_LAG_MIN[kind];
  const buckets = (flags.get('buckets') ?? '0,6,12,24,48').split(',').map(Number);
  if (!buckets.every((b, i) => Number.isInteger(b) && b >= 0 && (i === 0 || b > (buckets[i - 1] ?? 0)))) return fail('--buckets must be increasing whole hours, e.g. 0,6,12,24,48');
  if (!(lagMin >= 0)) return fail('--lag-min must be minutes >= 0');
  if (!(steps >= 1 && warmupHours >= 24 && strideHours >= 1) || hours < warmupHours + steps) return fail(`${csv}: ${hours} hours of data is too short for a ${warmupHours / 24}-day warm-up and ${steps} steps`);
  const daylightOnly = flags.get('daylight-only') === 'true';
  if (daylightOnly && !needsLocation(kind)) return fail('--daylight-only is for irradiance and solar');
  const altitudeM = num('altitude');
  const tilt = num('tilt');
  const azimuth = num('azimuth');
  if ((tilt === undefined) !== (azimuth === undefined)) return fail('--tilt and --azimuth go together (degrees; azimuth clockwise from north, 180 = south)');
  if (tilt !== undefined && !(tilt >= 0 && tilt <= 90 && Number.isFinite(azimuth))) return fail('--tilt must be 0..90 degrees and --azimuth an angle in degrees');
  if (tilt !== undefined && kind !== 'solar') return fail('--tilt and --azimuth are for solar (PV output); irradiance is horizontal');
  if (altitudeM !== undefined && !(altitudeM > -500 && altitudeM < 9000)) return fail('--altitude must be metres above sea level');
  const loc: SeriesLocation | null = p.location === null ? null : {
    ...p.location, ...(altitudeM !== undefined ? { altitudeM } : {}), ...(tilt !== undefined && azimuth !== undefined ? { orientation: { tiltDeg: tilt, azimuthDeg: azimuth } } : {}),
  };
  const warnings = needsLocation(kind) && loc !== null ? sunCycleWarnings(p.series, loc.latitudeDeg, loc.longitudeDeg, p.unit) : [];
  if (strideHours % 24 === 0 || 24 % strideHours === 0) warnings.push(`a stride of ${strideHours} h ties each horizon to ${24 / Math.min(24, strideHours)} hours of the day; a stride such as 7 moves the origin round the clock`);
  const opts = {
    steps, warmupHours, strideHours, period: baselinePeriod(kind), lagHours: lagMin / 60, buckets,
    ...(daylightOnly && loc !== null ? { scoreHour: (t: number) => clearSkyHourMean(loc.latitudeDeg, loc.longitudeDeg, t) >= MIN_CLEAR_SKY_W_PER_M2 } : {}),
    ...(hours > 24 * 120 ? { onProgress: (d: number, n: number) => io.err(`  ... ${d} of ${n} origins`) } : {}),
  };
  const model = seriesModel(kind, loc);
  let r: BacktestResult | ProviderBacktestResult;
  let providerNote = '';
  const providerFile = flags.get('provider-csv');
  if (providerFile !== undefined) {
    const ptext = read(providerFile);
    if (ptext === null) return 2;
    const pp = parseProviderCsv(ptext, { ...(flags.has('provider-issued-col') ? { issuedCol: flags.get('provider-issued-col') ?? '' } : {}), ...(flags.has('provider-time-col') ? { timeCol: flags.get('provider-time-col') ?? '' } : {}), ...(flags.has('provider-value-col') ? { valueCol: flags.get('provider-value-col') ?? '' } : {}), hourEnding: flags.get('hour-ending') === 'true' });
    if (!pp.ok) return fail(`${providerFile}: ${pp.error}`);
    providerNote = `, provider ${providerFile} (${pp.value.issues.length} issues, ${pp.value.columns}${pp.value.skipped > 0 ? `, ${pp.value.skipped} rows skipped` : ''})`;
    r = backtestWithProvider(p.series, pp.value.issues, model, opts);
    if (r.origins === 0) return fail(`${providerFile}: no provider issue falls inside the scored period (after the ${warmupHours / 24}-day warm-up of ${csv})`);
  } else {
    const extra = clearSkyBaselines(kind, loc);
    r = extra === null ? backtest(p.series, model, opts) : backtest(p.series, model, { ...opts, extra });
  }

  io.out(`backtest ${publicName(kind)} on ${csv}: column "${p.valueCol}" (${p.unit}) by "${p.timeCol}", ${p.rows} rows, ${hours} hours (${new Date(p.series.startMs).toISOString().slice(0, 13)}Z..)${providerNote}`);
  io.out(`  ${r.origins} origins every ${strideHours} h${providerFile !== undefined ? ' (at provider issue times)' : ''} after a ${warmupHours / 24}-day warm-up, actuals known ${lagMin} min after their hour, ${r.points} points${daylightOnly ? ' (daylight only)' : ''}`);
  for (const n of p.notes) io.out(`  note: ${n}`);
  if (p.skipped > 0) io.out(`  skipped ${p.skipped} unreadable rows, e.g. ${p.skippedExamples.join('; ')}`);
  for (const w of warnings) io.out(`  WARNING: ${w}`);
  const names = Object.keys(r.overall) as Array<keyof typeof r.overall>;
  const width = (n: string): number => Math.max(14, n.length + 2);
  const f = (x: number | null | undefined, n: string): string => (x === null || x === undefined ? '-' : x.toPrecision(4)).padStart(width(n));
  io.out(`  ${'horizon h'.padEnd(10)}${'points'.padStart(8)}${names.map((n) => String(n).padStart(width(String(n)))).join('')}   (mean absolute error, ${p.unit})`);
  for (const b of r.byBucket) io.out(`  ${`${b.fromH}-${b.toH}`.padEnd(10)}${String(b.points).padStart(8)}${names.map((n) => f((b.mae as Record<string, number | null>)[n], String(n))).join('')}`);
  io.out(`  ${'all'.padEnd(10)}${String(r.points).padStart(8)}${names.map((n) => f((r.overall as Record<string, number | null>)[n], String(n))).join('')}`);
  if (flags.get('json') === 'true') {
    io.out(JSON.stringify({
      kind: publicName(kind), csv, providerCsv: providerFile ?? null, valueCol: p.valueCol, timeCol: p.timeCol, unit: p.unit, rows: p.rows, skippedRows: p.skipped, hours,
      steps, warmupHours, strideHours, lagMin, daylightOnly, altitudeM: altitudeM ?? null, tiltDeg: tilt ?? null, azimuthDeg: azimuth ?? null, hourEnding: p.notes.some((n) => n.includes("hour's end")), notes: p.notes, warnings,
      origins: r.origins, points: r.points, byBucket: r.byBucket, maeByHorizon: r.maeByHorizon, overall: r.overall, ...('fallbacks' in r ? { fallbacks: r.fallbacks } : {}),
    }));
  }
  return 0;
};
