/**
 * Electricity Maps' carbon-intensity forecast (API v3, `auth-token` header):
 * `GET /v3/carbon-intensity/forecast?zone=Z` returns
 *
 *   { zone, forecast: [{ carbonIntensity, datetime }], updatedAt }
 *
 * hourly, in gCO2eq/kWh (life-cycle, grid average). Newer responses call the list `data` and may
 * name their `temporalGranularity`; both are read. The issue time is `updatedAt`.
 */
import { arr, field, num, ProviderShapeError, str, time } from './json-read.ts';
import { parsing, Quantities, type ProviderAdapter } from './provider-source.ts';

export const ELECTRICITY_MAPS_URL = 'https://api.electricitymap.org';
const GRANULARITY_MIN: Readonly<Record<string, number>> = { hourly: 60, '15_minutes': 15, '5_minutes': 5 };

export interface ElectricityMapsOptions {
  readonly zone: string;
  readonly areaId: string;
  readonly token: string;
  readonly baseUrl?: string;
}

export const electricityMaps = (o: ElectricityMapsOptions): ProviderAdapter => {
  const base = (o.baseUrl ?? ELECTRICITY_MAPS_URL).replace(/\/+$/, '');
  const sourceId = `electricitymaps:${o.zone}`;
  return {
    sourceId, provider: 'electricitymaps', areaId: o.areaId, login: null,
    requests: () => [{ url: `${base}/v3/carbon-intensity/forecast?zone=${encodeURIComponent(o.zone)}`, headers: { 'auth-token': o.token } }],
    parse: (bodies, fetchedAtMs) => parsing(sourceId, () => {
      const b = bodies[0];
      const zone = str(field(b, 'zone', 'body'), 'zone');
      if (zone !== o.zone) throw new ProviderShapeError(`zone is ${zone}, not ${o.zone}`);
      const list = field(b, 'forecast', 'body') ?? field(b, 'data', 'body');
      const g = field(b, 'temporalGranularity', 'body');
      const intervalMinutes = typeof g === 'string' ? (GRANULARITY_MIN[g] ?? 60) : 60;
      const points = arr(list, 'forecast').map((d, i) => ({
        targetMs: time(field(d, 'datetime', `forecast[${i}]`), `forecast[${i}].datetime`),
        intervalMinutes,
        forecast: num(field(d, 'carbonIntensity', `forecast[${i}]`), `forecast[${i}].carbonIntensity`),
        actual: null,
      }));
      return [{ sourceId, provider: 'electricitymaps', areaId: o.areaId, quantity: Quantities.carbon, issuedAtMs: time(field(b, 'updatedAt', 'body'), 'updatedAt'), fetchedAtMs, points }];
    }),
  };
};
