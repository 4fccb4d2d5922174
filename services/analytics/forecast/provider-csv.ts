/**
 * A provider's past forecasts from a CSV, pure: one row per (issue time, target time, value), as
 * a data scientist exports them from ClickHouse (`provider_forecasts`) or a provider's archive.
 * Columns are found by name (issue: issued, issued_at, generated_at, created; target: target,
 * target_at, valid, time, from; value: forecast, value, or the only other number) or given with
 * --provider-issued-col / --provider-time-col / --provider-value-col; ambiguity is an error.
 * Sub-hourly points become hourly means per issue; an issue is usable once every hour it covers
 * has its whole hour.
 */
import { err, ok, type Result } from '../../platform/result.ts';
import { readTable } from './csv-table.ts';
import { parseTime } from './csv-series.ts';
import { floorHour, HOUR_MS } from './models/hourly-series.ts';
import type { ProviderIssue } from './models/provider-correction.ts';

export interface ProviderCsvOptions {
  readonly issuedCol?: string;
  readonly timeCol?: string;
  readonly valueCol?: string;
  /** Target times label the interval's end. */
  readonly hourEnding?: boolean;
}

const pick = (header: readonly string[], given: string | undefined, re: RegExp, what: string, flag: string, exclude: readonly number[]): Result<number, string> => {
  if (given !== undefined) {
    const i = header.indexOf(given);
    return i < 0 ? err(`provider CSV: no column named "${given}" (columns: ${header.join(', ')})`) : ok(i);
  }
  const hits = header.map((h, i) => [h, i] as const).filter(([h, i]) => re.test(h) && !exclude.includes(i));
  if (hits.length === 1) return ok(hits[0]?.[1] ?? 0);
  return err(hits.length === 0
    ? `provider CSV: no ${what} column (columns: ${header.join(', ')}); name it with ${flag}`
    : `provider CSV: more than one ${what} column: ${hits.map(([h]) => `"${h}"`).join(', ')}; name it with ${flag}`);
};

export const parseProviderCsv = (text: string, o: ProviderCsvOptions): Result<{ issues: ProviderIssue[]; rows: number; skipped: number; columns: string }, string> => {
  const table = readTable(text, (cells) => cells.some((c) => /issue|generated|created/i.test(c)));
  if (table === null) return err('provider CSV: the file is empty');
  const { header, rows } = table;
  const iIdx = pick(header, o.issuedCol, /^(issued|issue|generated|created|forecast.?time|run.?time)/i, 'issue time', '--provider-issued-col', []);
  if (!iIdx.ok) return iIdx;
  const tIdx = pick(header, o.timeCol, /^(target|valid|time|datetime|timestamp|from|point.?time|start)/i, 'target time', '--provider-time-col', [iIdx.value]);
  if (!tIdx.ok) return tIdx;
  const vIdx = pick(header, o.valueCol, /^(forecast|value|prediction|carbon|intensity|temperature|ghi|irradiance)/i, 'value', '--provider-value-col', [iIdx.value, tIdx.value]);
  if (!vIdx.ok) return vIdx;
  const byIssue = new Map<number, Map<number, { s: number; n: number }>>();
  let skipped = 0;
  for (const r of rows) {
    const issued = parseTime(r[iIdx.value] ?? '');
    const t0 = parseTime(r[tIdx.value] ?? '');
    const raw = r[vIdx.value] ?? '';
    const v = raw === '' ? NaN : Number(raw);
    if (issued === null || t0 === null || !Number.isFinite(v)) {
      skipped++;
      continue;
    }
    const hour = floorHour(o.hourEnding === true ? t0 - 1 : t0);
    let m = byIssue.get(issued);
    if (m === undefined) byIssue.set(issued, (m = new Map<number, { s: number; n: number }>()));
    const cell = m.get(hour) ?? { s: 0, n: 0 };
    cell.s += v;
    cell.n += 1;
    m.set(hour, cell);
  }
  if (byIssue.size === 0) return err(`provider CSV: no row has a readable issue time, target time and value (${rows.length} rows)`);
  const issues = [...byIssue].sort(([a], [b]) => a - b).map(([issuedAtMs, m]): ProviderIssue => {
    const hours = [...m.keys()].sort((a, b) => a - b);
    const startMs = hours[0] ?? 0;
    const values = new Float64Array(Math.round(((hours.at(-1) ?? startMs) - startMs) / HOUR_MS) + 1).fill(NaN);
    for (const [h, c] of m) values[Math.round((h - startMs) / HOUR_MS)] = c.s / c.n;
    return { issuedAtMs, startMs, values };
  });
  return ok({ issues, rows: rows.length, skipped, columns: `issued "${header[iIdx.value] ?? ''}", target "${header[tIdx.value] ?? ''}", value "${header[vIdx.value] ?? ''}"` });
};
