/**
 * Open-Meteo's weather forecast (`GET /v1/forecast`, no key):
 * `?latitude=..&longitude=..&hourly=temperature_2m,cloud_cover,shortwave_radiation&timezone=GMT&forecast_days=3`
 * returns
 *
 *   { latitude, longitude, elevation, utc_offset_seconds, timezone,
 *     hourly_units: { time: "iso8601", temperature_2m: "°C", cloud_cover: "%", shortwave_radiation: "W/m²" },
 *     hourly: { time: ["2025-11-24T00:00", ...], temperature_2m: [...], cloud_cover: [...], shortwave_radiation: [...] } }
 *
 * Times are local to `utc_offset_seconds` (0 with timezone=GMT) and carry no offset. Conventions
 * differ per variable, and the adapter moves each onto gridfleet's hour-beginning means:
 * temperature and cloud cover are instants at the label (the hour [t, t+1h) gets the mean of the
 * instants at t and t+1h); shortwave radiation is the mean of the preceding hour (hour-ending:
 * moved one hour back). Units are read from hourly_units; °F is converted, anything else unknown is
 * refused. Open-Meteo states no issue time (its models update about hourly): the fetch time
 * floored to the hour.
 */
import type { ProviderForecast } from '../../../platform/events.ts';
import { arr, field, num, numOrNull, ProviderShapeError, str } from './json-read.ts';
import { floorTo, parsing, Quantities, type ProviderAdapter, type Quantity } from './provider-source.ts';

export const OPEN_METEO_URL = 'https://api.open-meteo.com';
const HOUR_MS = 3_600_000;

export interface OpenMeteoOptions {
  readonly latitudeDeg: number;
  readonly longitudeDeg: number;
  readonly areaId: string;
  readonly baseUrl?: string;
}

const VARIABLES: ReadonlyArray<{ name: string; quantity: Quantity; units: Readonly<Record<string, (x: number) => number>>; hourEnding: boolean }> = [
  { name: 'temperature_2m', quantity: Quantities.temperature, units: { '°C': (x) => x, '°F': (x) => ((x - 32) * 5) / 9 }, hourEnding: false },
  { name: 'cloud_cover', quantity: Quantities.cloud, units: { '%': (x) => x }, hourEnding: false },
  { name: 'shortwave_radiation', quantity: Quantities.irradiance, units: { 'W/m²': (x) => x, 'W/m2': (x) => x }, hourEnding: true },
];

export const openMeteo = (o: OpenMeteoOptions): ProviderAdapter => {
  const base = (o.baseUrl ?? OPEN_METEO_URL).replace(/\/+$/, '');
  const sourceId = `open-meteo:${o.latitudeDeg.toFixed(2)},${o.longitudeDeg.toFixed(2)}`;
  return {
    sourceId, provider: 'open-meteo', areaId: o.areaId, login: null,
    requests: () => [{
      url: `${base}/v1/forecast?latitude=${o.latitudeDeg}&longitude=${o.longitudeDeg}&hourly=${VARIABLES.map((v) => v.name).join(',')}&timezone=GMT&forecast_days=3`,
      headers: { accept: 'application/json' },
    }],
    parse: (bodies, fetchedAtMs) => parsing(sourceId, () => {
      const b = bodies[0];
      const offsetMs = num(field(b, 'utc_offset_seconds', 'body'), 'utc_offset_seconds') * 1000;
      const units = field(b, 'hourly_units', 'body');
      const hourly = field(b, 'hourly', 'body');
      const times = arr(field(hourly, 'time', 'hourly'), 'hourly.time').map((t, i) => {
        const s = str(t, `hourly.time[${i}]`);
        const ms = Date.parse(`${s}Z`);
        if (!Number.isFinite(ms) || /[zZ]|[+-]\d{2}:\d{2}$/.test(s)) throw new ProviderShapeError(`hourly.time[${i}] "${s}" is not an ISO local time`);
        return ms - offsetMs;
      });
      const issuedAtMs = floorTo(fetchedAtMs, 60);
      return VARIABLES.map((v): ProviderForecast => {
        const unit = str(field(units, v.name, 'hourly_units'), `hourly_units.${v.name}`);
        const convert = v.units[unit];
        if (convert === undefined) throw new ProviderShapeError(`hourly_units.${v.name} is "${unit}", not one of ${Object.keys(v.units).join(', ')}`);
        const raw = arr(field(hourly, v.name, 'hourly'), `hourly.${v.name}`);
        if (raw.length !== times.length) throw new ProviderShapeError(`hourly.${v.name} has ${raw.length} values for ${times.length} times`);
        const x = raw.map((r, i) => {
          const n = numOrNull(r, `hourly.${v.name}[${i}]`);
          return n === null ? null : convert(n);
        });
        const points: ProviderForecast['points'] = [];
        for (let i = 0; i < times.length; i++) {
          const t = times[i] ?? NaN;
          const a = x[i] ?? null;
          if (v.hourEnding) points.push({ targetMs: t - HOUR_MS, intervalMinutes: 60, forecast: a, actual: null });
          else {
            const next = x[i + 1] ?? null;
            if (i + 1 < times.length && (times[i + 1] ?? NaN) - t === HOUR_MS) points.push({ targetMs: t, intervalMinutes: 60, forecast: a === null || next === null ? null : (a + next) / 2, actual: null });
          }
        }
        return { sourceId: `${sourceId}:${v.quantity}`, provider: 'open-meteo', areaId: o.areaId, quantity: v.quantity, issuedAtMs, fetchedAtMs, points };
      });
    }),
  };
};
