/**
 * The backtest as a user runs it, on files written to a temp folder. Regressions it guards (issue
 * 22): a `from, forecast, actual` CSV silently backtested the forecast column; `--kind emissions`
 * was refused; a TMY3 file collapsed each day into one hour (the date taken as the time) and
 * backtested the extraterrestrial column over a 1980-2003 span of gaps; repeated timestamps and
 * mostly-gap series ran without a word; JSON had no points per step, warm-up or spacing.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backtestCommand } from '../../../../services/analytics/forecast/backtest-cli.ts';
import { parseCsvSeries } from '../../../../services/analytics/forecast/csv-series.ts';
import { parseProviderCsv } from '../../../../services/analytics/forecast/provider-csv.ts';
import { HOUR_MS } from '../../../../services/analytics/forecast/models/hourly-series.ts';
import { simProviderIssues, simSeries } from './sim-series.ts';

const dir = mkdtempSync(join(tmpdir(), 'gf-backtest-'));
const file = (name: string, text: string): string => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};
const run = (args: Record<string, string>) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = backtestCommand(new Map(Object.entries(args)), { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out, err, json: code === 0 && args['json'] === 'true' ? (JSON.parse(out.at(-1) ?? '{}') as Record<string, unknown>) : null };
};
const iso = (t: number): string => new Date(t).toISOString().slice(0, 16) + 'Z';

describe('column detection', () => {
  it('a grid operator\'s from, forecast, actual export backtests actual', () => {
    const r = parseCsvSeries('from,to,forecast,actual,index\n2024-01-01T00:00Z,2024-01-01T00:30Z,200,190,moderate\n2024-01-01T00:30Z,2024-01-01T01:00Z,210,200,moderate\n', { kind: 'carbon' });
    expect(r.ok && [r.value.timeCol, r.value.valueCol, Array.from(r.value.series.values)]).toEqual(['from', 'actual', [195]]);
  });

  it('ambiguity is an error that lists the candidates', () => {
    expect(parseCsvSeries('time,ghi,ghi_station\n2024-01-01T00:00Z,1,2\n', { kind: 'irradiance' })).toEqual({ ok: false, error: 'more than one column could be the irradiance value: "ghi", "ghi_station"; name one with --value-col' });
    expect(parseCsvSeries('time,timestamp_a\n', { kind: 'carbon' })).toMatchObject({ ok: false });
    expect(parseCsvSeries('date,x,y\n2024-01-01,1,2\n', { kind: 'load' })).toMatchObject({ ok: false, error: expect.stringMatching(/several are numeric: "x", "y"/) as unknown });
  });

  it('refuses repeated timestamps and mostly-gap series with the reason', () => {
    expect(parseCsvSeries('time,t\n2024-01-01T00:00Z,1\n2024-01-01T00:00Z,2\n', { kind: 'temperature' })).toMatchObject({ ok: false, error: expect.stringMatching(/^timestamps repeat \(2024-01-01T00:00:00.000Z on lines 2 and 3\)/) as unknown });
    expect(parseCsvSeries('time,t\n2024-01-01T00:00Z,1\n2024-01-03T00:00Z,2\n', { kind: 'temperature' })).toMatchObject({ ok: false, error: expect.stringMatching(/^mostly gaps: 2 of 49 hours/) as unknown });
  });

  it('reads a TMY3 file as it comes: site line, date + time in local standard time, hour-ending, GHI, one typical year', () => {
    const rows = ['690150,"TWENTYNINE PALMS",CA,-8.0,34.300,-116.167,626', 'Date (MM/DD/YYYY),Time (HH:MM),ETR (W/m^2),ETRN (W/m^2),GHI (W/m^2),GHI source,GHI uncert (%),DNI (W/m^2),Dry-bulb (C)'];
    // January from 1988, February from 1997: a typical year's months come from different years.
    for (const [m, y, days] of [[1, 1988, [30, 31]], [2, 1997, [1, 2]]] as const) for (const d of days) for (let h = 1; h <= 24; h++) rows.push(`${String(m).padStart(2, '0')}/${String(d).padStart(2, '0')}/${y},${String(h).padStart(2, '0')}:00,1300,1400,${h >= 8 && h <= 17 ? 100 * h : 0},1,8,0,10`);
    const r = parseCsvSeries(rows.join('\n'), { kind: 'irradiance' });
    if (!r.ok) throw new Error(r.error);
    expect([r.value.valueCol, r.value.format, r.value.location]).toEqual(['GHI (W/m^2)', 'tmy3', { latitudeDeg: 34.3, longitudeDeg: -116.167 }]);
    // 01/30 01:00 local (UTC-8), hour-ending: the hour starting 2001-01-30T08:00Z; four days, no gap between the two years' months.
    expect(r.value.series.startMs).toBe(Date.UTC(2001, 0, 30, 8));
    expect(Array.from(r.value.series.values).every(Number.isFinite) && r.value.series.values.length).toBe(96);
    expect(r.value.series.values[0]).toBe(0);
    expect(r.value.series.values[7]).toBe(800); // hour ending 08:00 local
    expect(r.value.notes.join(' ')).toMatch(/TMY3.*re-dated to 2001/);
  });

  it('converts units named in the header, and refuses one it does not know', () => {
    const r = parseCsvSeries('time,radiation (kJ/m2)\n2024-06-01T12:00Z,3600\n', { kind: 'irradiance' });
    expect(r.ok && [r.value.series.values[0], r.value.notes[0]]).toEqual([1000, 'values converted from kJ/m2 to W/m²']);
    expect(parseCsvSeries('time,radiation (langley)\n2024-06-01T12:00Z,1\n', { kind: 'irradiance' })).toMatchObject({ ok: false, error: expect.stringMatching(/langley/) as unknown });
  });
});

describe('npm run forecast -- backtest', () => {
  const sim = simSeries(3, Date.UTC(2025, 3, 1), 35);
  const actuals = file('actuals.csv', ['from,forecast,actual', ...Array.from(sim.carbon.values, (v, i) => `${iso(sim.carbon.startMs + i * HOUR_MS)},${(v * 2).toFixed(1)},${v.toFixed(2)}`)].join('\n'));
  const providerRows = ['issued_at,target_at,forecast'];
  for (const p of simProviderIssues(3, 'carbon', sim.carbon, 60)) Array.from(p.values).forEach((v, j) => providerRows.push(`${iso(p.issuedAtMs)},${iso(p.startMs + j * HOUR_MS)},${v.toFixed(2)}`));
  const provider = file('provider.csv', providerRows.join('\n'));

  it('scores model, own, provider, persistence and seasonal naive by bucket at the provider\'s issue times, with points and settings in the JSON', () => {
    const r = run({ kind: 'emissions', csv: actuals, 'provider-csv': provider, json: 'true', buckets: '0,6,24,48' });
    expect(r.code).toBe(0);
    const j = r.json ?? {};
    expect([j['kind'], j['valueCol'], j['lagMin'], j['strideHours'], j['warmupHours']]).toEqual(['emissions', 'actual', 60, 7, 264]);
    const byBucket = j['byBucket'] as Array<{ fromH: number; toH: number; points: number; mae: Record<string, number> }>;
    expect(byBucket.map((b) => [b.fromH, b.toH])).toEqual([[0, 6], [6, 24], [24, 48]]);
    expect(Object.keys(byBucket[0]?.mae ?? {})).toEqual(['model', 'own', 'provider', 'persistence', 'seasonalNaive']);
    expect((byBucket[0]?.mae['model'] ?? Infinity) < (byBucket[0]?.mae['provider'] ?? 0)).toBe(true);
    const mae = j['maeByHorizon'] as { points: number[]; model: number[] };
    expect(mae.points).toHaveLength(48);
    expect(mae.points.reduce((a, b) => a + b, 0)).toBe(j['points']);
  });

  it('accepts carbon as the old name of emissions, with a note; refuses an unknown kind', () => {
    const r = run({ kind: 'carbon', csv: actuals });
    expect([r.code, r.err[0]]).toEqual([0, 'note: --kind carbon is the old name of emissions; it is accepted for one release']);
    expect(run({ kind: 'co2', csv: actuals }).code).toBe(2);
  });

  it('the publication delay costs accuracy at the first hours (a backtest without it flatters the model)', () => {
    const mae1 = (lag: string): number => ((run({ kind: 'emissions', csv: actuals, 'lag-min': lag, json: 'true' }).json?.['byBucket'] as Array<{ mae: { model: number } }>)[0]?.mae.model ?? NaN);
    expect(mae1('0')).toBeLessThan(mae1('120'));
  });

  it('warns when the daily cycle does not match the sun at the place (a flipped longitude)', () => {
    const g = file('ghi.csv', ['time,ghi', ...Array.from(sim.irradiance.values, (v, i) => `${iso(sim.irradiance.startMs + i * HOUR_MS)},${v.toFixed(1)}`)].join('\n'));
    const ok = run({ kind: 'irradiance', csv: g, lat: '48.1', lon: '11.6' });
    const flipped = run({ kind: 'irradiance', csv: g, lat: '48.1', lon: '-11.6', 'daylight-only': 'true' });
    expect(ok.out.filter((l) => l.includes('WARNING'))).toEqual([]);
    expect(flipped.out.some((l) => /WARNING: the data's day is centred at .* flipped longitude sign/.test(l))).toBe(true);
    expect(flipped.out[1]).toMatch(/daylight only/);
  });

  it('the provider CSV names its columns or says which are missing', () => {
    expect(parseProviderCsv('issued_at,time,value\n2024-01-01T00:00Z,2024-01-01T01:00Z,5\n', {})).toMatchObject({ ok: true });
    expect(parseProviderCsv('issued_at,target,valid_time,value\n', {})).toMatchObject({ ok: false, error: expect.stringMatching(/more than one target time column: "target", "valid_time"/) as unknown });
  });
});
