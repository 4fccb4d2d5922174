/**
 * What a chunk job computes from its snapshot, pure: bundles for a chunk of sites, or area
 * forecasts for a chunk of cells or regions. Anything that does not decode throws: the job turns
 * that into a poison chunk (failed without retries, reported on the run).
 */
import { buildBundle, type BuiltBundle } from './bundles.ts';
import { emissionsForecasts, weatherForecasts, type AreaForecast, type RegionHourRow, type RegionProvider } from './area-forecasts.ts';
import type { CellHistory, WeatherAlert } from './models/weather-model.ts';
import type { RunWindow } from './plan-run.ts';
import { decodeShared, decodeSites } from './snapshot-codec.ts';

export const computeSiteChunk = (bytes: Buffer, sharedJson: string): BuiltBundle[] => {
  const shared = decodeShared(sharedJson);
  return decodeSites(bytes).map((s) => buildBundle(s, shared));
};

const nanArray = (x: unknown, what: string): number[] => {
  if (!Array.isArray(x)) throw new Error(`${what} is not an array`);
  return x.map((v: unknown) => (typeof v === 'number' ? v : NaN));
};
const obj = (x: unknown, what: string): Record<string, unknown> => {
  if (typeof x !== 'object' || x === null) throw new Error(`${what} is not an object`);
  return x as Record<string, unknown>;
};
const series = (x: unknown, what: string): { startMs: number; values: number[] } => {
  const o = obj(x, what);
  if (typeof o['startMs'] !== 'number') throw new Error(`${what}.startMs is not a number`);
  return { startMs: o['startMs'], values: nanArray(o['values'], `${what}.values`) };
};

const regionProvider = (x: unknown, what: string): RegionProvider => {
  const o = obj(x, what);
  if (typeof o['sourceId'] !== 'string' || !Array.isArray(o['issues'])) throw new Error(`${what} is malformed`);
  return {
    sourceId: o['sourceId'],
    issues: (o['issues'] as unknown[]).map((p, k) => {
      const q = obj(p, `${what} issue ${k}`);
      if (typeof q['issuedAtMs'] !== 'number' || typeof q['startMs'] !== 'number') throw new Error(`${what} issue ${k} is malformed`);
      return { issuedAtMs: q['issuedAtMs'], startMs: q['startMs'], values: nanArray(q['values'], `${what} issue ${k} values`) };
    }),
  };
};

export const computeAreaChunk = (kind: 'weather' | 'emissions', json: string, w: RunWindow): AreaForecast[] => {
  const items: unknown = JSON.parse(json);
  if (!Array.isArray(items)) throw new Error('area snapshot is not an array');
  if (kind === 'weather') {
    const hist = new Map<string, CellHistory>();
    items.forEach((it: unknown, i) => {
      const o = obj(it, `cell ${i}`);
      if (typeof o['cellId'] !== 'string' || typeof o['latitudeDeg'] !== 'number' || typeof o['longitudeDeg'] !== 'number' || !Array.isArray(o['alerts'])) throw new Error(`cell ${i} is malformed`);
      hist.set(o['cellId'], {
        latitudeDeg: o['latitudeDeg'], longitudeDeg: o['longitudeDeg'], alerts: o['alerts'] as WeatherAlert[],
        temperatureC: series(o['temperatureC'], 'temperatureC'), cloudCoverPct: series(o['cloudCoverPct'], 'cloudCoverPct'), irradianceWPerM2: series(o['irradianceWPerM2'], 'irradianceWPerM2'),
      });
    });
    return weatherForecasts(hist, w.seriesEndMs, w.validFromMs, w.issuedAtMs);
  }
  const rows: RegionHourRow[] = [];
  const ids: string[] = [];
  const providers = new Map<string, RegionProvider>();
  items.forEach((it: unknown, i) => {
    const o = obj(it, `region ${i}`);
    if (typeof o['regionId'] !== 'string' || !Array.isArray(o['hours'])) throw new Error(`region ${i} is malformed`);
    ids.push(o['regionId']);
    if (o['provider'] !== undefined && o['provider'] !== null) providers.set(o['regionId'], regionProvider(o['provider'], `region ${i} provider`));
    for (const h of o['hours'] as unknown[]) {
      const r = obj(h, `region ${i} hour`);
      if (typeof r['hourMs'] !== 'number' || typeof r['carbonGPerKwh'] !== 'number') throw new Error(`region ${i} hour is malformed`);
      rows.push({ regionId: o['regionId'], hourMs: r['hourMs'], carbonGPerKwh: r['carbonGPerKwh'] });
    }
  });
  return emissionsForecasts(rows, w.fromMs, w.seriesEndMs, w.validFromMs, ids, providers, w.issuedAtMs);
};
