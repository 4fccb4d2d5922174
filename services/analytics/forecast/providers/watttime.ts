/**
 * WattTime's marginal emissions forecast (API v3, subscribers; CAISO_NORTH is open for previews):
 * `GET /v3/forecast?region=R&signal_type=co2_moer&horizon_hours=24` with a bearer token from
 * `GET /login` (basic auth, `{ token }`, valid 30 minutes). The response:
 *
 *   { data: [{ point_time, value }], meta: { region, signal_type, units, generated_at,
 *     data_point_period_seconds, generated_at_period_seconds, model: { date }, warnings } }
 *
 * Values are marginal (the emissions of the next MWh), in lbs_co2_per_mwh: converted to g/kWh
 * (x 0.45359237) and published as `marginalCarbonGPerKwh`, never mixed with average intensity.
 * The issue time is the provider's `generated_at`.
 */
import { arr, field, num, ProviderShapeError, str, time } from './json-read.ts';
import { parsing, Quantities, type ProviderAdapter } from './provider-source.ts';

export const WATTTIME_URL = 'https://api.watttime.org';
/** g/kWh per lb/MWh. */
export const G_PER_KWH_PER_LB_PER_MWH = 0.45359237;
const UNIT_FACTORS: Readonly<Record<string, number>> = { lbs_co2_per_mwh: G_PER_KWH_PER_LB_PER_MWH, g_co2_per_kwh: 1, kg_co2_per_mwh: 1 };

export interface WattTimeOptions {
  readonly region: string;
  readonly areaId: string;
  readonly username: string;
  readonly password: string;
  readonly horizonHours?: number;
  readonly baseUrl?: string;
}

export const wattTime = (o: WattTimeOptions): ProviderAdapter => {
  const base = (o.baseUrl ?? WATTTIME_URL).replace(/\/+$/, '');
  const sourceId = `watttime:${o.region}:co2_moer`;
  return {
    sourceId, provider: 'watttime', areaId: o.areaId,
    login: {
      request: { url: `${base}/login`, headers: { authorization: `Basic ${Buffer.from(`${o.username}:${o.password}`).toString('base64')}` } },
      token: (body) => str(field(body, 'token', 'login'), 'login.token'),
    },
    requests: (_nowMs, auth) => [{
      url: `${base}/v3/forecast?region=${encodeURIComponent(o.region)}&signal_type=co2_moer&horizon_hours=${o.horizonHours ?? 24}`,
      headers: { authorization: `Bearer ${auth ?? ''}` },
    }],
    parse: (bodies, fetchedAtMs) => parsing(sourceId, () => {
      const b = bodies[0];
      const meta = field(b, 'meta', 'body');
      const region = str(field(meta, 'region', 'meta'), 'meta.region');
      if (region !== o.region) throw new ProviderShapeError(`meta.region is ${region}, not ${o.region}`);
      const signal = str(field(meta, 'signal_type', 'meta'), 'meta.signal_type');
      if (signal !== 'co2_moer') throw new ProviderShapeError(`meta.signal_type is ${signal}, not co2_moer`);
      const units = str(field(meta, 'units', 'meta'), 'meta.units');
      const factor = UNIT_FACTORS[units];
      if (factor === undefined) throw new ProviderShapeError(`meta.units ${units} is not a unit this adapter converts (${Object.keys(UNIT_FACTORS).join(', ')})`);
      const periodS = num(field(meta, 'data_point_period_seconds', 'meta'), 'meta.data_point_period_seconds');
      const issuedAtMs = time(field(meta, 'generated_at', 'meta'), 'meta.generated_at');
      const points = arr(field(b, 'data', 'body'), 'data').map((d, i) => ({
        targetMs: time(field(d, 'point_time', `data[${i}]`), `data[${i}].point_time`),
        intervalMinutes: Math.max(1, Math.round(periodS / 60)),
        forecast: num(field(d, 'value', `data[${i}]`), `data[${i}].value`) * factor,
        actual: null,
      }));
      return [{ sourceId, provider: 'watttime', areaId: o.areaId, quantity: Quantities.marginalCarbon, issuedAtMs, fetchedAtMs, points }];
    }),
  };
};
