import { describe, expect, it } from 'vitest';
import { parseCsvSeries, parseTime } from '../../../../services/analytics/forecast/csv-series.ts';

describe('CSV series for the backtest', () => {
  it('reads Open-Meteo style hourly CSV (ISO times without offset are UTC), finds the value column and the place', () => {
    const csv = 'time,temperature_2m (°C),latitude,longitude\n2024-01-01T00:00,3.5,52.52,13.41\n2024-01-01T01:00,3.1,52.52,13.41\n2024-01-01T03:00,2.0,52.52,13.41\n';
    const r = parseCsvSeries(csv, {});
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.valueCol).toBe('temperature_2m (°C)');
    expect(r.value.series.startMs).toBe(Date.UTC(2024, 0, 1));
    expect(Array.from(r.value.series.values)).toEqual([3.5, 3.1, Number.NaN, 2]); // the missing hour is a gap
    expect(r.value.location).toEqual({ latitudeDeg: 52.52, longitudeDeg: 13.41 });
  });

  it('averages sub-hourly data, reads epoch seconds and semicolons, and counts unreadable rows instead of dropping them silently', () => {
    const csv = 'ts;kw\n1700000000;1\n1700000900;3\nnot-a-time;5\n1700000000;x\n';
    const r = parseCsvSeries(csv, { valueCol: 'kw' });
    expect(r.ok && Array.from(r.value.series.values)).toEqual([2]);
    expect(r.ok && [r.value.skipped, r.value.skippedExamples]).toEqual([2, ['line 4: time "not-a-time" is not a time', 'line 5: value "x" is not a number']]);
  });

  it('names what is wrong', () => {
    expect(parseCsvSeries('', {})).toEqual({ ok: false, error: 'the CSV is empty' });
    expect(parseCsvSeries('time,v\n2024-01-01,1\n', { valueCol: 'kw' })).toEqual({ ok: false, error: 'no column named "kw" (columns: time, v)' });
    expect(parseTime('2024-01-01T00:00:00+01:00')).toBe(Date.UTC(2023, 11, 31, 23));
    expect(parseTime('1700000000000')).toBe(1700000000000);
  });
});

describe('CSV exports with a metadata block', () => {
  it('finds the header after an Open-Meteo style preamble', () => {
    const csv = 'latitude,longitude,elevation,utc_offset_seconds,timezone,timezone_abbreviation\n52.52,13.419998,38.0,0,GMT,GMT\n\ntime,temperature_2m (°C),shortwave_radiation (W/m²)\n2024-04-01T00:00,8.1,0.0\n2024-04-01T01:00,7.6,0.0\n';
    const r = parseCsvSeries(csv, { valueCol: 'shortwave_radiation (W/m²)' });
    expect(r.ok && [r.value.timeCol, r.value.series.values.length, r.value.skipped]).toEqual(['time', 2, 0]);
  });
});
