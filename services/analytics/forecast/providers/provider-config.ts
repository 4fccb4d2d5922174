/**
 * Which providers the forecast tier polls, parsed once from the environment (pure):
 *
 *   FORECAST_PROVIDERS   comma-separated `<provider>:<code>=<gridfleet area>`, default none:
 *                          carbonintensity-uk:national=region-gb    (or carbonintensity-uk:11=... for a region)
 *                          watttime:CAISO_NORTH=region-ca           (needs FORECAST_WATTTIME_USER / _PASSWORD)
 *                          electricitymaps:DE=region-de             (needs FORECAST_ELECTRICITYMAPS_TOKEN)
 *                          open-meteo:52.52/13.41=cell-berlin
 *   FORECAST_PROVIDER_EVERY_MIN   default 30: real minutes between polls of each source.
 *   FORECAST_PROVIDER_TIMEOUT_MS  default 15000: per request.
 *   FORECAST_<PROVIDER>_URL       base URL override (CARBONINTENSITY_UK, WATTTIME, ELECTRICITYMAPS, OPEN_METEO): tests, proxies.
 *
 * An entry that cannot be read fails the whole configuration, listing every problem.
 */
import { envReader, type Env } from '../../../platform/config.ts';
import { PlatformError } from '../../../platform/errors.ts';
import { carbonIntensityUk } from './carbon-intensity-uk.ts';
import { electricityMaps } from './electricity-maps.ts';
import { openMeteo } from './open-meteo.ts';
import type { ProviderAdapter } from './provider-source.ts';
import { wattTime } from './watttime.ts';

export interface ProviderConfig {
  readonly adapters: readonly ProviderAdapter[];
  readonly everyMin: number;
  readonly timeoutMs: number;
}

export const parseProviderConfig = (env: Env): ProviderConfig => {
  const problems: string[] = [];
  const { get, int } = envReader(env, problems);
  const url = (p: string): { baseUrl: string } | Record<string, never> => {
    const u = get(`FORECAST_${p}_URL`);
    return u === undefined ? {} : { baseUrl: u };
  };
  const adapters: ProviderAdapter[] = [];
  for (const entry of (get('FORECAST_PROVIDERS') ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const m = /^([a-z-]+):([^=]+)=([A-Za-z0-9._:-]+)$/.exec(entry);
    if (m === null) {
      problems.push(`FORECAST_PROVIDERS entry "${entry}" must be <provider>:<code>=<area id>`);
      continue;
    }
    const [, provider = '', code = '', areaId = ''] = m;
    switch (provider) {
      case 'carbonintensity-uk': {
        const region = code === 'national' ? 'national' : Number(code);
        if (region !== 'national' && !(Number.isInteger(region) && region >= 1 && region <= 17)) problems.push(`FORECAST_PROVIDERS entry "${entry}": the code is national or a region id 1..17`);
        else adapters.push(carbonIntensityUk({ region, areaId, ...url('CARBONINTENSITY_UK') }));
        break;
      }
      case 'watttime': {
        const username = get('FORECAST_WATTTIME_USER');
        const password = get('FORECAST_WATTTIME_PASSWORD');
        if (username === undefined || password === undefined) problems.push(`FORECAST_PROVIDERS entry "${entry}" needs FORECAST_WATTTIME_USER and FORECAST_WATTTIME_PASSWORD`);
        else adapters.push(wattTime({ region: code, areaId, username, password, ...url('WATTTIME') }));
        break;
      }
      case 'electricitymaps': {
        const token = get('FORECAST_ELECTRICITYMAPS_TOKEN');
        if (token === undefined) problems.push(`FORECAST_PROVIDERS entry "${entry}" needs FORECAST_ELECTRICITYMAPS_TOKEN`);
        else adapters.push(electricityMaps({ zone: code, areaId, token, ...url('ELECTRICITYMAPS') }));
        break;
      }
      case 'open-meteo': {
        const [lat, lon] = code.split('/').map(Number);
        if (lat === undefined || lon === undefined || !(Math.abs(lat) <= 90) || !(Math.abs(lon) <= 180)) problems.push(`FORECAST_PROVIDERS entry "${entry}": the code is <latitude>/<longitude>`);
        else adapters.push(openMeteo({ latitudeDeg: lat, longitudeDeg: lon, areaId, ...url('OPEN_METEO') }));
        break;
      }
      default:
        problems.push(`FORECAST_PROVIDERS entry "${entry}": unknown provider ${provider} (carbonintensity-uk, watttime, electricitymaps, open-meteo)`);
    }
  }
  const config = { adapters, everyMin: int('FORECAST_PROVIDER_EVERY_MIN', 30, 1, 1440), timeoutMs: int('FORECAST_PROVIDER_TIMEOUT_MS', 15_000, 100, 600_000) };
  if (problems.length > 0) throw new PlatformError('CONFIG_INVALID', `Provider configuration is invalid:\n  - ${problems.join('\n  - ')}`);
  return Object.freeze(config);
};
