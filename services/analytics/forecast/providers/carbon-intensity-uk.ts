/**
 * The GB grid operator's carbon-intensity API (api.carbonintensity.org.uk, no key), half-hourly
 * in gCO2/kWh:
 *
 * - national: `GET /intensity/{from}/fw48h` gives the next 48 h as
 *   `{ data: [{ from, to, intensity: { forecast, actual, index } }] }` (actual null until the
 *   half-hour is measured), and `GET /intensity/{from}/pt24h` the past 24 h with actuals. A poll
 *   asks for both: the forecast, and the actuals the correction learns from.
 * - regional: `GET /regional/intensity/{from}/fw48h/regionid/{id}` gives
 *   `{ data: { regionid, shortname, data: [{ from, to, intensity: { forecast, index }, generationmix }] } }`
 *   (some deployments wrap that object in a one-element array). Regions publish forecasts only;
 *   their actuals are the grid feed's (grid.mix.v1).
 *
 * The API states no issue time: it re-forecasts every half hour, so a poll's issue time is the
 * fetch time floored to the half-hour. Points before the issue are stored too (negative horizon):
 * they carry the actuals; models never read a forecast at a negative horizon.
 */
import type { ProviderForecast } from '../../../platform/events.ts';
import { arr, field, num, numOrNull, ProviderShapeError, str, time, type Json } from './json-read.ts';
import { floorTo, isoMinute, parsing, Quantities, type ProviderAdapter } from './provider-source.ts';

export const CARBON_INTENSITY_UK_URL = 'https://api.carbonintensity.org.uk';
const HALF_HOUR_MIN = 30;

type Point = ProviderForecast['points'][number];

const readPoints = (data: Json, path: string, withActual: boolean): Point[] =>
  arr(data, path).map((d, i) => {
    const p = `${path}[${i}]`;
    const from = time(field(d, 'from', p), `${p}.from`);
    const to = time(field(d, 'to', p), `${p}.to`);
    const intensity = field(d, 'intensity', p);
    if (!(to > from)) throw new ProviderShapeError(`${p}: to is not after from`);
    return {
      targetMs: from, intervalMinutes: Math.round((to - from) / 60_000),
      forecast: numOrNull(field(intensity, 'forecast', `${p}.intensity`), `${p}.intensity.forecast`),
      actual: withActual ? numOrNull(field(intensity, 'actual', `${p}.intensity`), `${p}.intensity.actual`) : null,
    };
  });

/** Merges points by target (a later body's actual fills an earlier one's gap), in time order. */
const merge = (lists: readonly Point[][]): Point[] => {
  const by = new Map<number, Point>();
  for (const list of lists) for (const p of list) {
    const had = by.get(p.targetMs);
    by.set(p.targetMs, had === undefined ? p : { ...had, forecast: had.forecast ?? p.forecast, actual: had.actual ?? p.actual });
  }
  return [...by.values()].sort((a, b) => a.targetMs - b.targetMs);
};

export interface CarbonIntensityUkOptions {
  /** `national`, or a regional id of the API (1..17). */
  readonly region: 'national' | number;
  readonly areaId: string;
  readonly baseUrl?: string;
}

export const carbonIntensityUk = (o: CarbonIntensityUkOptions): ProviderAdapter => {
  const base = (o.baseUrl ?? CARBON_INTENSITY_UK_URL).replace(/\/+$/, '');
  const sourceId = `carbonintensity-uk:${o.region === 'national' ? 'national' : `region-${o.region}`}`;
  const headers = { accept: 'application/json' };
  return {
    sourceId, provider: 'carbonintensity-uk', areaId: o.areaId, login: null,
    requests: (nowMs) => {
      const from = isoMinute(floorTo(nowMs, HALF_HOUR_MIN));
      return o.region === 'national'
        ? [{ url: `${base}/intensity/${from}/fw48h`, headers }, { url: `${base}/intensity/${from}/pt24h`, headers }]
        : [{ url: `${base}/regional/intensity/${from}/fw48h/regionid/${o.region}`, headers }];
    },
    parse: (bodies, fetchedAtMs) => parsing(sourceId, () => {
      const lists = bodies.map((b, k) => {
        const data = field(b, 'data', `body ${k}`);
        if (o.region === 'national') return readPoints(data, `body ${k}.data`, true);
        const region: Json = Array.isArray(data) ? (data as Json[])[0] : data;
        const id = num(field(region, 'regionid', `body ${k}.data`), `body ${k}.data.regionid`);
        if (id !== o.region) throw new ProviderShapeError(`body ${k} is for region ${id}, not ${o.region}`);
        str(field(region, 'shortname', `body ${k}.data`), `body ${k}.data.shortname`);
        return readPoints(field(region, 'data', `body ${k}.data`), `body ${k}.data.data`, false);
      });
      return [{ sourceId, provider: 'carbonintensity-uk', areaId: o.areaId, quantity: Quantities.carbon, issuedAtMs: floorTo(fetchedAtMs, HALF_HOUR_MIN), fetchedAtMs, points: merge(lists) }];
    }),
  };
};
