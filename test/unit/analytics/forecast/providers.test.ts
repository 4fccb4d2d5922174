/**
 * The provider adapters on responses in each provider's documented format
 * (test/fixtures/providers/, written from their public documentation): the records they publish
 * (quantity, unit, issue time, interval starts), the refusals with a reason when a response is not
 * the documented shape, and the poller's handling of failures (counted, never thrown).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ProviderForecast } from '../../../../services/platform/events.ts';
import { createLogger } from '../../../../services/platform/logger.ts';
import { err, ok } from '../../../../services/platform/result.ts';
import { carbonIntensityUk } from '../../../../services/analytics/forecast/providers/carbon-intensity-uk.ts';
import { electricityMaps } from '../../../../services/analytics/forecast/providers/electricity-maps.ts';
import { openMeteo } from '../../../../services/analytics/forecast/providers/open-meteo.ts';
import { parseProviderConfig } from '../../../../services/analytics/forecast/providers/provider-config.ts';
import { pollOnce, type FetchJson } from '../../../../services/analytics/forecast/providers/provider-poller.ts';
import { G_PER_KWH_PER_LB_PER_MWH, wattTime } from '../../../../services/analytics/forecast/providers/watttime.ts';

const fixture = (name: string): unknown => JSON.parse(readFileSync(`test/fixtures/providers/${name}.json`, 'utf8'));
const FETCHED = Date.parse('2025-11-24T12:07:31Z');
const records = (r: { ok: true; value: ProviderForecast[] } | { ok: false; error: string }): ProviderForecast[] => {
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

describe('carbon-intensity API (GB grid operator)', () => {
  it('national: the 48 h forecast and the past day\'s actuals in one record, issued at the half-hour of the fetch', () => {
    const a = carbonIntensityUk({ region: 'national', areaId: 'region-gb' });
    expect(a.requests(FETCHED, null).map((r) => r.url)).toEqual([
      'https://api.carbonintensity.org.uk/intensity/2025-11-24T12:00Z/fw48h', 'https://api.carbonintensity.org.uk/intensity/2025-11-24T12:00Z/pt24h',
    ]);
    const [r] = records(a.parse([fixture('carbonintensity-national-fw48h'), fixture('carbonintensity-national-pt24h')], FETCHED));
    expect(r).toMatchObject({ sourceId: 'carbonintensity-uk:national', quantity: 'carbonGPerKwh', areaId: 'region-gb', issuedAtMs: Date.parse('2025-11-24T12:00Z'), fetchedAtMs: FETCHED });
    expect(r?.points).toHaveLength(144);
    expect(r?.points.every((p, i, all) => p.intervalMinutes === 30 && (i === 0 || p.targetMs - (all[i - 1]?.targetMs ?? 0) === 1_800_000))).toBe(true);
    const past = r?.points.filter((p) => p.targetMs < Date.parse('2025-11-24T12:00Z')) ?? [];
    const future = r?.points.filter((p) => p.targetMs >= Date.parse('2025-11-24T12:00Z')) ?? [];
    expect(past.every((p) => p.actual !== null) && future.every((p) => p.actual === null && p.forecast !== null)).toBe(true);
  });

  it('regional: forecasts only, and a body for another region is refused', () => {
    const a = carbonIntensityUk({ region: 11, areaId: 'region-sw' });
    expect(a.requests(FETCHED, null)[0]?.url).toBe('https://api.carbonintensity.org.uk/regional/intensity/2025-11-24T12:00Z/fw48h/regionid/11');
    const [r] = records(a.parse([fixture('carbonintensity-regional-11-fw48h')], FETCHED));
    expect(r?.sourceId).toBe('carbonintensity-uk:region-11');
    expect(r?.points).toHaveLength(96);
    expect(r?.points.every((p) => p.actual === null && typeof p.forecast === 'number')).toBe(true);
    const wrapped = { data: [(fixture('carbonintensity-regional-11-fw48h') as { data: unknown }).data] };
    expect(records(a.parse([wrapped], FETCHED))[0]?.points).toHaveLength(96);
    expect(carbonIntensityUk({ region: 12, areaId: 'x' }).parse([fixture('carbonintensity-regional-11-fw48h')], FETCHED)).toMatchObject({ ok: false, error: expect.stringMatching(/region 11, not 12/) as unknown });
  });

  it('refuses a response whose shape changed, naming the path', () => {
    const a = carbonIntensityUk({ region: 'national', areaId: 'region-gb' });
    const body = fixture('carbonintensity-national-fw48h') as { data: Array<{ intensity: Record<string, unknown> }> };
    const first = body.data[0];
    if (first !== undefined) first.intensity['forecast'] = '266';
    expect(a.parse([body, fixture('carbonintensity-national-pt24h')], FETCHED)).toEqual({ ok: false, error: 'carbonintensity-uk:national: unexpected response: body 0.data[0].intensity.forecast is not a number' });
  });
});

describe('WattTime v3 forecast', () => {
  it('marginal emissions at 5 minutes, converted from lbs/MWh to g/kWh, issued at generated_at', () => {
    const a = wattTime({ region: 'CAISO_NORTH', areaId: 'region-ca', username: 'u', password: 'p' });
    expect(a.login?.request.headers['authorization']).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    expect(a.requests(FETCHED, 'tok')[0]).toEqual({ url: 'https://api.watttime.org/v3/forecast?region=CAISO_NORTH&signal_type=co2_moer&horizon_hours=24', headers: { authorization: 'Bearer tok' } });
    const body = fixture('watttime-caiso-north-forecast') as { data: Array<{ value: number }> };
    const [r] = records(a.parse([body], FETCHED));
    expect(r).toMatchObject({ quantity: 'marginalCarbonGPerKwh', issuedAtMs: Date.parse('2025-11-24T12:05:00Z'), sourceId: 'watttime:CAISO_NORTH:co2_moer' });
    expect(r?.points).toHaveLength(288);
    expect(r?.points[0]?.intervalMinutes).toBe(5);
    expect(r?.points[0]?.forecast).toBeCloseTo((body.data[0]?.value ?? NaN) * G_PER_KWH_PER_LB_PER_MWH, 9);
    expect(a.parse([{ ...body, meta: { ...(body as unknown as { meta: object }).meta, units: 'percentile' } }], FETCHED)).toMatchObject({ ok: false, error: expect.stringMatching(/units percentile/) as unknown });
  });
});

describe('Electricity Maps v3 forecast', () => {
  it('hourly grid-average intensity issued at updatedAt; the newer `data` list is read too', () => {
    const a = electricityMaps({ zone: 'DE', areaId: 'region-de', token: 't' });
    expect(a.requests(FETCHED, null)[0]?.headers).toEqual({ 'auth-token': 't' });
    const body = fixture('electricitymaps-de-forecast') as { forecast: unknown[] };
    const [r] = records(a.parse([body], FETCHED));
    expect(r).toMatchObject({ quantity: 'carbonGPerKwh', issuedAtMs: Date.parse('2025-11-24T12:47:59.367Z') });
    expect(r?.points).toHaveLength(72);
    expect(r?.points[0]).toEqual({ targetMs: Date.parse('2025-11-24T13:00:00Z'), intervalMinutes: 60, forecast: expect.any(Number) as unknown, actual: null });
    const { forecast, ...rest } = body;
    expect(records(a.parse([{ ...rest, data: forecast }], FETCHED))[0]?.points).toHaveLength(72);
    expect(a.parse([{ ...body, zone: 'FR' }], FETCHED)).toMatchObject({ ok: false });
  });
});

describe('Open-Meteo forecast', () => {
  it('one record per variable on hour-beginning means: radiation moved back an hour, instants averaged', () => {
    const a = openMeteo({ latitudeDeg: 52.52, longitudeDeg: 13.41, areaId: 'cell-berlin' });
    expect(a.requests(FETCHED, null)[0]?.url).toContain('hourly=temperature_2m,cloud_cover,shortwave_radiation&timezone=GMT');
    const body = fixture('open-meteo-berlin-forecast') as { hourly: { temperature_2m: number[]; shortwave_radiation: number[] } };
    const rs = records(a.parse([body], FETCHED));
    expect(rs.map((r) => r.quantity)).toEqual(['temperatureC', 'cloudCoverPct', 'irradianceWPerM2']);
    expect(rs.every((r) => r.issuedAtMs === Date.parse('2025-11-24T12:00Z'))).toBe(true);
    const [t, , g] = rs;
    expect(t?.points).toHaveLength(71);
    expect(t?.points[0]?.forecast).toBeCloseTo(((body.hourly.temperature_2m[0] ?? 0) + (body.hourly.temperature_2m[1] ?? 0)) / 2, 9);
    expect(g?.points[0]).toMatchObject({ targetMs: Date.parse('2025-11-23T23:00Z'), forecast: body.hourly.shortwave_radiation[0] });
    const f = { ...body, hourly_units: { time: 'iso8601', temperature_2m: '°F', cloud_cover: '%', shortwave_radiation: 'W/m²' } };
    expect(records(a.parse([f], FETCHED))[0]?.points[0]?.forecast).toBeCloseTo((((body.hourly.temperature_2m[0] ?? 0) + (body.hourly.temperature_2m[1] ?? 0)) / 2 - 32) * 5 / 9, 9);
    expect(a.parse([{ ...body, hourly_units: { ...f.hourly_units, shortwave_radiation: 'MJ/m²' } }], FETCHED)).toMatchObject({ ok: false, error: expect.stringMatching(/MJ/) as unknown });
    expect(records(a.parse([{ ...body, utc_offset_seconds: 3600 }], FETCHED))[0]?.points[0]?.targetMs).toBe(Date.parse('2025-11-23T23:00Z'));
  });
});

describe('configuration and polling', () => {
  it('reads FORECAST_PROVIDERS and lists every problem', () => {
    const c = parseProviderConfig({ FORECAST_PROVIDERS: 'carbonintensity-uk:national=region-gb, open-meteo:52.52/13.41=cell-1', FORECAST_OPEN_METEO_URL: 'http://127.0.0.1:1' });
    expect(c.adapters.map((a) => a.sourceId)).toEqual(['carbonintensity-uk:national', 'open-meteo:52.52,13.41']);
    expect(c.adapters[1]?.requests(0, null)[0]?.url.startsWith('http://127.0.0.1:1/v1/forecast')).toBe(true);
    expect(() => parseProviderConfig({ FORECAST_PROVIDERS: 'electricitymaps:DE=r,carbonintensity-uk:99=r,nope' })).toThrow(/FORECAST_ELECTRICITYMAPS_TOKEN[\s\S]*1\.\.17[\s\S]*nope/);
    expect(parseProviderConfig({}).adapters).toEqual([]);
  });

  it('a poll publishes what it parsed; a failed fetch, a bad body or a failed publish is an outcome, not an exception', async () => {
    const a = carbonIntensityUk({ region: 'national', areaId: 'region-gb' });
    const bodies = [fixture('carbonintensity-national-fw48h'), fixture('carbonintensity-national-pt24h')];
    const published: ProviderForecast[] = [];
    const outcomes: string[] = [];
    const deps = (fetchJson: FetchJson, fail = false) => ({
      fetchJson, now: () => FETCHED, logger: createLogger('error'), onOutcome: (_s: string, o: string) => outcomes.push(o),
      publish: (rs: readonly ProviderForecast[]): Promise<void> => {
        if (fail) return Promise.reject(new Error('broker down'));
        published.push(...rs);
        return Promise.resolve();
      },
    });
    let k = 0;
    expect(await pollOnce(a, deps(() => Promise.resolve(ok(bodies[k++ % 2]))), { token: null })).toEqual({ outcome: 'published', records: 1 });
    expect(await pollOnce(a, deps(() => Promise.resolve(err({ status: 503, reason: 'HTTP 503' }))), { token: null })).toMatchObject({ outcome: 'fetch-failed', reason: 'HTTP 503' });
    expect(await pollOnce(a, deps(() => Promise.resolve(ok({ nope: 1 }))), { token: null })).toMatchObject({ outcome: 'bad-response' });
    expect(await pollOnce(a, deps(() => Promise.resolve(ok(bodies[k++ % 2])), true), { token: null })).toMatchObject({ outcome: 'publish-failed', reason: 'broker down' });
    expect(outcomes).toEqual(['published', 'fetch-failed', 'bad-response', 'publish-failed']);
    expect(published).toHaveLength(1);
  });

  it('WattTime logs in, and logs in again after a 401', async () => {
    const a = wattTime({ region: 'CAISO_NORTH', areaId: 'r', username: 'u', password: 'p' });
    const seen: string[] = [];
    let tokens = 0;
    const fetchJson: FetchJson = (req) => Promise.resolve((() => {
      seen.push(`${req.url.replace('https://api.watttime.org', '')} ${req.headers['authorization'] ?? ''}`.slice(0, 40));
      if (req.url.endsWith('/login')) return ok({ token: `t${++tokens}` });
      return req.headers['authorization'] === 'Bearer t1' ? err({ status: 401, reason: 'expired' }) : ok(fixture('watttime-caiso-north-forecast'));
    })());
    const auth = { token: null };
    const r = await pollOnce(a, { fetchJson, publish: () => Promise.resolve(), now: () => FETCHED, logger: createLogger('error') }, auth);
    expect(r.outcome).toBe('published');
    expect(seen.map((s) => s.split(' ')[0]?.split('?')[0])).toEqual(['/login', '/v3/forecast', '/login', '/v3/forecast']);
    expect(auth.token).toBe('t2');
  });
});
