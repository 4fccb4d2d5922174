/**
 * A CSV of a real series into an hourly series for the backtest, pure. It reads files as they
 * come and refuses, with the reason, what would mislead:
 *
 * - times: ISO 8601 (no offset: UTC, or the file's own offset: Open-Meteo's utc_offset_seconds,
 *   TMY3's time zone), epoch seconds or milliseconds; separate date and time columns are combined
 *   (TMY3's `Date (MM/DD/YYYY)` and `Time (HH:MM)`, 01:00..24:00);
 * - hour conventions: values labelled by the hour's end (TMY3, Open-Meteo's radiation, or any file
 *   with --hour-ending) are moved to the hour's start, and the notes say so;
 * - a typical-year file (TMY3) takes each month from a different year: it is re-dated to one
 *   year (2001) so it is one continuous year, not a 24-year span of gaps;
 * - units from the header are converted to the kind's unit, and the unit assumed is reported;
 * - refused: timestamps that repeat, and series that are mostly gaps.
 *
 * Rows whose time or value cannot be read are skipped and counted with the first reasons.
 */
import { err, ok, type Result } from '../../platform/result.ts';
import { findTimeColumns, findValueColumn, unitOf } from './csv-columns.ts';
import { readTable, type CsvMeta } from './csv-table.ts';
import { floorHour, HOUR_MS, toHourly, type HourlySeries } from './models/hourly-series.ts';
import type { SeriesKind } from './models/series-models.ts';

export interface CsvOptions {
  readonly kind?: SeriesKind;
  readonly timeCol?: string;
  readonly valueCol?: string;
  readonly latitudeDeg?: number;
  readonly longitudeDeg?: number;
  /** Values are labelled by the end of their interval. */
  readonly hourEnding?: boolean;
}

export interface CsvSeries {
  readonly series: HourlySeries;
  readonly timeCol: string;
  readonly valueCol: string;
  readonly unit: string;
  readonly rows: number;
  readonly skipped: number;
  readonly skippedExamples: string[];
  readonly location: { latitudeDeg: number; longitudeDeg: number } | null;
  /** What was done to the file's times and units, for the output. */
  readonly notes: string[];
  readonly format: CsvMeta['format'];
}

/** A minimum share of the span's hours that must hold a value. */
export const MIN_FILLED_SHARE = 0.5;
const TMY_YEAR = 2001;

export const parseTime = (s: string, utcOffsetH = 0): number | null => {
  const t = s.trim();
  if (/^-?\d+(\.\d+)?$/.test(t)) {
    const n = Number(t);
    return n > 1e11 ? n : n * 1000; // epoch ms vs seconds
  }
  const hasOffset = /[zZ]|[+-]\d{2}:?\d{2}$/.test(t);
  const ms = Date.parse(hasOffset ? t : `${t.replace(' ', 'T')}Z`);
  return Number.isFinite(ms) ? ms - (hasOffset ? 0 : utcOffsetH * HOUR_MS) : null;
};

/** MM/DD/YYYY (or YYYY-MM-DD) plus HH:MM (24:00 allowed), read on a clock utcOffsetH from UTC. */
const parseDateTime = (date: string, time: string, utcOffsetH: number, redateTo: number | null): number | null => {
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(date.trim());
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date.trim());
  const hm = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(time.trim());
  if ((us === null && iso === null) || hm === null) return null;
  const [y, mo, d] = us !== null ? [Number(us[3]), Number(us[1]), Number(us[2])] : [Number(iso?.[1]), Number(iso?.[2]), Number(iso?.[3])];
  const ms = Date.UTC(redateTo ?? y, mo - 1, d, 0, 0) + (Number(hm[1]) * 60 + Number(hm[2])) * 60_000 + Number(hm[3] ?? 0) * 1000;
  return Number.isFinite(ms) ? ms - utcOffsetH * HOUR_MS : null;
};

const isHeaderCells = (cells: string[]): boolean => cells.some((c) => /^"?(time|date|timestamp|datetime|from)\b(?!zone)/i.test(c));

export const parseCsvSeries = (text: string, o: CsvOptions): Result<CsvSeries, string> => {
  const table = readTable(text, o.timeCol === undefined ? isHeaderCells : (cells) => cells.includes(o.timeCol ?? ''));
  if (table === null) return err('the CSV is empty');
  const { header, rows, meta } = table;
  const tc = findTimeColumns(header, o.timeCol);
  if (!tc.ok) return tc;
  const latIdx = header.findIndex((h) => /^(lat|latitude)(_deg)?$/i.test(h));
  const lonIdx = header.findIndex((h) => /^(lon|lng|longitude)(_deg)?$/i.test(h));
  const timeIdx = tc.value.kind === 'one' ? [tc.value.col] : [tc.value.date, tc.value.time];
  const vIdx = findValueColumn(header, rows, o.kind ?? null, [...timeIdx, latIdx, lonIdx], o.valueCol);
  if (!vIdx.ok) return vIdx;
  const valueCol = header[vIdx.value] ?? '';
  const unit = o.kind === undefined ? { unit: /\(([^)]*)\)/.exec(valueCol)?.[1] ?? '', fromHeader: null, convert: (x: number) => x } : unitOf(o.kind, valueCol);
  if (unit.convert === null) return err(`column "${valueCol}" is in ${unit.fromHeader ?? '?'}, a unit the ${o.kind ?? ''} backtest does not convert (it needs ${unit.unit})`);
  const convert = unit.convert;
  const notes: string[] = [];
  if (unit.fromHeader !== null && unit.fromHeader !== unit.unit) notes.push(`values converted from ${unit.fromHeader} to ${unit.unit}`);
  if (unit.fromHeader === null && o.kind !== undefined) notes.push(`no unit in the header: values taken as ${unit.unit}`);
  const tmy = meta.format === 'tmy3';
  const hourEnding = o.hourEnding === true || tmy || (meta.format === 'open-meteo' && /radiation|irradiance/i.test(valueCol));
  if (tmy) notes.push(`TMY3: date and time columns combined, local standard time UTC${meta.utcOffsetH >= 0 ? '+' : ''}${meta.utcOffsetH}, re-dated to ${TMY_YEAR} (a typical year takes each month from a different year)`);
  else if (meta.utcOffsetH !== 0) notes.push(`times read at UTC${meta.utcOffsetH >= 0 ? '+' : ''}${meta.utcOffsetH} (the file's offset)`);
  if (hourEnding) notes.push(`values labelled by the hour's end${o.hourEnding === true ? ' (--hour-ending)' : tmy ? ' (TMY3)' : ' (Open-Meteo radiation is the preceding hour\'s mean)'}: moved to the hour's start`);
  if (tc.value.kind === 'date+time' && !tmy) notes.push(`date "${header[tc.value.date] ?? ''}" and time "${header[tc.value.time] ?? ''}" columns combined`);

  const points: Array<readonly [number, number]> = [];
  const skippedExamples: string[] = [];
  const lineOf = new Map<number, number>();
  let skipped = 0;
  const repeat: { at: string | null } = { at: null };
  rows.forEach((r, i) => {
    const line = table.firstLine + i;
    const t0 = tc.value.kind === 'one' ? parseTime(r[tc.value.col] ?? '', meta.utcOffsetH) : parseDateTime(r[tc.value.date] ?? '', r[tc.value.time] ?? '', meta.utcOffsetH, tmy ? TMY_YEAR : null);
    const raw = r[vIdx.value] ?? '';
    const v = raw === '' ? NaN : Number(raw);
    if (t0 === null || !Number.isFinite(v)) {
      skipped++;
      const shown = tc.value.kind === 'one' ? (r[tc.value.col] ?? '') : `${r[tc.value.date] ?? ''} ${r[tc.value.time] ?? ''}`;
      if (skippedExamples.length < 3) skippedExamples.push(`line ${line}: ${t0 === null ? `time "${shown}" is not a time` : `value "${raw}" is not a number`}`);
      return;
    }
    const t = hourEnding ? t0 - HOUR_MS : t0;
    const seen = lineOf.get(t);
    if (seen !== undefined && repeat.at === null) repeat.at = `${new Date(t0).toISOString()} on lines ${seen} and ${line}`;
    lineOf.set(t, line);
    points.push([t, convert(v)]);
  });
  if (points.length === 0) return err(`no row has a readable time and value (${skippedExamples.join('; ')})`);
  if (repeat.at !== null) return err(`timestamps repeat (${repeat.at}): two series stacked in one file, a daylight-saving change, or a date column read without its time column? Name the time column with --time-col`);
  const minT = points.reduce((a, p) => Math.min(a, p[0]), Infinity);
  const maxT = points.reduce((a, p) => Math.max(a, p[0]), -Infinity);
  const series = toHourly(points, minT, floorHour(maxT) + HOUR_MS);
  const filled = Array.from(series.values).filter(Number.isFinite).length;
  if (filled / Math.max(1, series.values.length) < MIN_FILLED_SHARE) {
    return err(`mostly gaps: ${filled} of ${series.values.length} hours from ${new Date(minT).toISOString().slice(0, 10)} to ${new Date(maxT).toISOString().slice(0, 10)} have a value (${((100 * filled) / Math.max(1, series.values.length)).toFixed(1)} %); is "${tc.value.kind === 'one' ? (header[tc.value.col] ?? '') : 'date+time'}" the right time column?`);
  }
  const latCol = latIdx >= 0 ? Number(rows[0]?.[latIdx]) : NaN;
  const lonCol = lonIdx >= 0 ? Number(rows[0]?.[lonIdx]) : NaN;
  const lat = o.latitudeDeg ?? (Number.isFinite(latCol) ? latCol : meta.latitudeDeg);
  const lon = o.longitudeDeg ?? (Number.isFinite(lonCol) ? lonCol : meta.longitudeDeg);
  return ok({
    series, timeCol: tc.value.kind === 'one' ? (header[tc.value.col] ?? '') : `${header[tc.value.date] ?? ''} + ${header[tc.value.time] ?? ''}`, valueCol, unit: unit.unit,
    rows: rows.length, skipped, skippedExamples, location: lat === undefined || lon === undefined ? null : { latitudeDeg: lat, longitudeDeg: lon }, notes, format: meta.format,
  });
};
