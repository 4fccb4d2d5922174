/**
 * A CSV of any real series (a timestamp column and a value column, plus latitude and longitude
 * for solar and irradiance) into an hourly series for the backtest, pure. Times may be ISO 8601
 * (without an offset they are read as UTC), epoch seconds or epoch milliseconds. Rows whose time
 * or value cannot be read are skipped and counted with the first reasons, never silently.
 */
import { err, ok, type Result } from '../../platform/result.ts';
import { floorHour, HOUR_MS, toHourly, type HourlySeries } from './models/hourly-series.ts';

export interface CsvOptions {
  readonly timeCol?: string;
  readonly valueCol?: string;
  readonly latitudeDeg?: number;
  readonly longitudeDeg?: number;
}

export interface CsvSeries {
  readonly series: HourlySeries;
  readonly timeCol: string;
  readonly valueCol: string;
  readonly rows: number;
  readonly skipped: number;
  readonly skippedExamples: string[];
  readonly location: { latitudeDeg: number; longitudeDeg: number } | null;
}

const splitLine = (line: string, sep: string): string[] => {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] ?? '';
    if (c === '"') {
      if (quoted && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else quoted = !quoted;
    } else if (c === sep && !quoted) {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  out.push(cur.trim());
  return out;
};

export const parseTime = (s: string): number | null => {
  const t = s.trim();
  if (/^-?\d+(\.\d+)?$/.test(t)) {
    const n = Number(t);
    return n > 1e11 ? n : n * 1000; // epoch ms vs seconds
  }
  const iso = /[zZ]|[+-]\d{2}:?\d{2}$/.test(t) ? t : `${t.replace(' ', 'T')}Z`;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : null;
};

const find = (header: readonly string[], re: RegExp): number => header.findIndex((h) => re.test(h));

export const parseCsvSeries = (text: string, o: CsvOptions): Result<CsvSeries, string> => {
  const all = text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith('#'));
  // Some exports (Open-Meteo) put a block of metadata before the data: the header is the first
  // line naming the time column.
  const timeName = o.timeCol === undefined ? /(^|[,;\t])\s*"?(time|date|timestamp|datetime)\b(?!zone)/i : null;
  const headerAt = Math.max(0, all.findIndex((l) => (timeName === null ? l.includes(o.timeCol ?? '') : timeName.test(l))));
  const lines = all.slice(headerAt);
  const first = lines[0];
  if (first === undefined) return err('the CSV is empty');
  const sep = [',', ';', '\t'].map((s) => [s, first.split(s).length] as const).sort((a, b) => b[1] - a[1])[0]?.[0] ?? ',';
  const header = splitLine(first, sep);
  const byName = (name: string): Result<number, string> => {
    const i = header.indexOf(name);
    return i < 0 ? err(`no column named "${name}" (columns: ${header.join(', ')})`) : ok(i);
  };
  const tIdx = o.timeCol !== undefined ? byName(o.timeCol) : ok(Math.max(0, find(header, /time|date|timestamp/i)));
  if (!tIdx.ok) return tIdx;
  const latIdx = find(header, /^(lat|latitude)(_deg)?$/i);
  const lonIdx = find(header, /^(lon|lng|longitude)(_deg)?$/i);
  const rows = lines.slice(1).map((l) => splitLine(l, sep));
  let vIdx: Result<number, string>;
  if (o.valueCol !== undefined) vIdx = byName(o.valueCol);
  else {
    const i = header.findIndex((_h, k) => k !== tIdx.value && k !== latIdx && k !== lonIdx && rows.slice(0, 20).some((r) => Number.isFinite(Number(r[k] ?? 'x')) && (r[k] ?? '') !== ''));
    vIdx = i < 0 ? err(`no numeric value column found (columns: ${header.join(', ')}); name one with --value-col`) : ok(i);
  }
  if (!vIdx.ok) return vIdx;
  const points: Array<readonly [number, number]> = [];
  const skippedExamples: string[] = [];
  let skipped = 0;
  rows.forEach((r, i) => {
    const t = parseTime(r[tIdx.value] ?? '');
    const raw = r[vIdx.value] ?? '';
    const v = raw === '' ? NaN : Number(raw);
    if (t === null || !Number.isFinite(v)) {
      skipped++;
      if (skippedExamples.length < 3) skippedExamples.push(`line ${i + 2}: ${t === null ? `time "${r[tIdx.value] ?? ''}" is not a time` : `value "${raw}" is not a number`}`);
    } else points.push([t, v]);
  });
  if (points.length === 0) return err(`no row has a readable time and value (${skippedExamples.join('; ')})`);
  const minT = points.reduce((a, p) => Math.min(a, p[0]), Infinity);
  const maxT = points.reduce((a, p) => Math.max(a, p[0]), -Infinity);
  const latCol = latIdx >= 0 ? Number(rows[0]?.[latIdx]) : NaN;
  const lonCol = lonIdx >= 0 ? Number(rows[0]?.[lonIdx]) : NaN;
  const lat = o.latitudeDeg ?? (Number.isFinite(latCol) ? latCol : undefined);
  const lon = o.longitudeDeg ?? (Number.isFinite(lonCol) ? lonCol : undefined);
  return ok({
    series: toHourly(points, minT, floorHour(maxT) + HOUR_MS), timeCol: header[tIdx.value] ?? '', valueCol: header[vIdx.value] ?? '',
    rows: rows.length, skipped, skippedExamples, location: lat === undefined || lon === undefined ? null : { latitudeDeg: lat, longitudeDeg: lon },
  });
};
