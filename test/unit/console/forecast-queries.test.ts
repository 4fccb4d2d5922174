import { describe, expect, it } from 'vitest';
import { actualsSql, actualsWindow, errorByHorizonSql, forecastView, latestForecastSql, parseScope } from '../../../services/console/forecast-queries.ts';

describe('forecast queries and view', () => {
  it('scopes are ids, never SQL', () => {
    expect(parseScope(' region-01 ')).toEqual({ ok: true, value: 'region-01' });
    expect(parseScope("x' OR 1=1 --").ok).toBe(false);
    expect(parseScope('').ok).toBe(false);
    expect(parseScope(null).ok).toBe(false);
    // The queries take the scope as a parameter only.
    for (const sql of [latestForecastSql, actualsSql, errorByHorizonSql]) expect(sql).toContain('{scope:String}');
  });

  it('the actuals window is the run\'s targets, cut at now', () => {
    const rows = [{ t: '3600000', step_minutes: 60 }, { t: 7_200_000, step_minutes: 60 }];
    expect(actualsWindow(rows, 100_000_000)).toEqual({ fromMs: 3_600_000, toMs: 10_800_000, step: 60 });
    expect(actualsWindow(rows, 5_000_000)).toEqual({ fromMs: 3_600_000, toMs: 5_000_000, step: 60 });
    expect(actualsWindow([], 1)).toBeNull();
  });

  it('rows become series; actual buckets without data are left out', () => {
    const v = forecastView(
      'region-01',
      [{ t: 1, forecast_run: 'r1', issued_ms: 0, step_minutes: 60, solar_kw: 5, load_kw: 3, carbon_g_per_kwh: 180, temperature_c: 9, sites: '2' }],
      [{ t: 1, solar_kw: 5.5, load_kw: 3.5, carbon_g_per_kwh: 0, temperature_c: 10, solar_n: 2, carbon_n: 0, temp_n: 1 }],
      [{ kind: 'solar', horizon_h: 1, mae: 0.25, bias: -0.25, n: '4' }, { kind: 'carbon', horizon_h: 'x', mae: 1, bias: 1, n: 1 }],
    );
    expect(v).toMatchObject({
      state: 'ok', runId: 'r1', sites: 2,
      solarKw: { forecast: [{ x: 1, y: 5 }], actual: [{ x: 1, y: 5.5 }] },
      carbonGPerKwh: { forecast: [{ x: 1, y: 180 }], actual: [] },
      temperatureC: { actual: [{ x: 1, y: 10 }] },
      errorByHorizon: [{ kind: 'solar', horizonH: 1, mae: 0.25, bias: -0.25, n: 4 }],
      errorNote: null,
    });
    expect(forecastView('x', [], [], []).state).toBe('empty');
  });
});
