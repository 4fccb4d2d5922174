/**
 * The forecast runs' reads from ClickHouse: features for every site, cell and region in a few
 * queries (never one per site), each bounded to the history window before the issue time. Rows
 * are checked at this edge: a row with a missing or non-numeric field is dropped and counted, and
 * the entity falls back to its documented default. A query that cannot reach ClickHouse throws a
 * PlatformError (CLICKHOUSE_UNAVAILABLE, retriable; CLICKHOUSE_REJECTED for SQL or permission
 * problems), which fails the run's job so BullMQ retries it with backoff.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { toClickHouseError } from '../../platform/clickhouse-errors.ts';

export interface Window {
  /** Start of the history, UTC epoch ms. */
  readonly fromMs: number;
  /** Hour the run's first step starts (history is before it), UTC epoch ms. */
  readonly toMs: number;
  /** The run's issue time: nothing observed at or after it is read. */
  readonly issuedAtMs: number;
}

type Row = Record<string, unknown>;
const num = (r: Row, k: string): number | null => {
  const v = r[k];
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
};
const str = (r: Row, k: string): string | null => (typeof r[k] === 'string' && r[k] !== '' ? r[k] : null);
const nums = (r: Row, k: string): number[] | null => {
  const v = r[k];
  return Array.isArray(v) ? v.map((x) => (typeof x === 'number' ? x : Number(x))) : null;
};
const strs = (r: Row, k: string): string[] | null => {
  const v = r[k];
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : null;
};

export interface ReadStats {
  /** Rows dropped because a field was missing or not a number. */
  badRows: number;
}

export const createFeatureReader = (client: ClickHouseClient, database: string) => {
  const stats: ReadStats = { badRows: 0 };
  const query = async <T>(what: string, sql: string, params: Record<string, unknown>, parse: (r: Row) => T | null): Promise<T[]> => {
    let raw: Row[];
    try {
      const rs = await client.query({ query: sql, query_params: params, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0, output_format_json_quote_denormals: 0 } });
      raw = await rs.json<Row>();
    } catch (e) {
      throw toClickHouseError(`forecast: reading ${what}`, e);
    }
    const out: T[] = [];
    for (const r of raw) {
      const p = parse(r);
      if (p === null) stats.badRows++;
      else out.push(p);
    }
    return out;
  };
  const w = (x: Window): Record<string, unknown> => ({ from: x.fromMs, to: x.toMs, issued: x.issuedAtMs });
  const db = database;
  const ts = (p: string): string => `fromUnixTimestamp64Milli(toInt64({${p}:Int64}), 'UTC')`;

  return {
    stats,
    /** Every live site with its place, size and environment. */
    sites: () => query('sites', `
      SELECT site_id, latitude_deg AS lat, longitude_deg AS lon, solar_kwp AS kwp, weather_cell_id AS cell, grid_region_id AS region,
             tilt_deg AS tilt, azimuth_deg AS azimuth, altitude_m AS altitude
      FROM ${db}.site_hierarchy ORDER BY site_id`, {},
    (r) => {
      const id = str(r, 'site_id');
      return id === null ? null : { siteId: id, latitudeDeg: num(r, 'lat'), longitudeDeg: num(r, 'lon'), solarKwp: num(r, 'kwp'), cellId: str(r, 'cell'), regionId: str(r, 'region'),
        tiltDeg: num(r, 'tilt'), azimuthDeg: num(r, 'azimuth'), altitudeM: num(r, 'altitude') };
    }),

    /** Each weather cell's hourly means over the window, and where it is (the mean of its sites). */
    cellHours: (x: Window) => query('weather observations', `
      SELECT cell_id, toUnixTimestamp64Milli(toDateTime64(toStartOfHour(observed_at), 3, 'UTC')) AS hour_ms,
             avg(temperature_c) AS t, avg(cloud_cover_pct) AS c, avg(irradiance_w_per_m2) AS g
      FROM ${db}.weather_observations
      WHERE observed_at >= ${ts('from')} AND observed_at < ${ts('issued')}
      GROUP BY cell_id, hour_ms ORDER BY cell_id, hour_ms`, w(x),
    (r) => {
      const cell = str(r, 'cell_id');
      const h = num(r, 'hour_ms');
      return cell === null || h === null ? null : { cellId: cell, hourMs: h, temperatureC: num(r, 't') ?? NaN, cloudCoverPct: num(r, 'c') ?? NaN, irradianceWPerM2: num(r, 'g') ?? NaN };
    }),

    cellPlaces: () => query('cell places', `
      SELECT weather_cell_id AS cell, avg(latitude_deg) AS lat, avg(longitude_deg) AS lon
      FROM ${db}.site_hierarchy WHERE weather_cell_id != '' AND latitude_deg IS NOT NULL AND longitude_deg IS NOT NULL GROUP BY cell`, {},
    (r) => {
      const cell = str(r, 'cell');
      const lat = num(r, 'lat');
      const lon = num(r, 'lon');
      return cell === null || lat === null || lon === null ? null : { cellId: cell, latitudeDeg: lat, longitudeDeg: lon };
    }),

    /** Alerts announced in the last day before the issue time that have not ended by it. */
    cellAlerts: (x: Window) => query('weather alerts', `
      SELECT DISTINCT cell_id, alert_kind AS kind, alert_severity AS severity,
             toUnixTimestamp64Milli(alert_starts_at) AS s, toUnixTimestamp64Milli(alert_ends_at) AS e
      FROM ${db}.weather_observations
      WHERE observed_at >= ${ts('issued')} - INTERVAL 1 DAY AND observed_at < ${ts('issued')}
        AND alert_kind IS NOT NULL AND alert_ends_at > ${ts('issued')}
      ORDER BY cell_id, s`, w(x),
    (r) => {
      const cell = str(r, 'cell_id');
      const kind = str(r, 'kind');
      const sev = str(r, 'severity');
      const s = num(r, 's');
      const e = num(r, 'e');
      return cell === null || kind === null || sev === null || s === null || e === null ? null : { cellId: cell, kind, severity: sev, startsAtMs: s, endsAtMs: e };
    }),

    regionHours: (x: Window) => query('grid mix', `
      SELECT region_id, toUnixTimestamp64Milli(toDateTime64(toStartOfHour(observed_at), 3, 'UTC')) AS hour_ms, avg(carbon_g_per_kwh) AS c
      FROM ${db}.grid_mix
      WHERE observed_at >= ${ts('from')} AND observed_at < ${ts('issued')}
      GROUP BY region_id, hour_ms ORDER BY region_id, hour_ms`, w(x),
    (r) => {
      const region = str(r, 'region_id');
      const h = num(r, 'hour_ms');
      const c = num(r, 'c');
      return region === null || h === null || c === null ? null : { regionId: region, hourMs: h, carbonGPerKwh: c };
    }),

    /**
     * Each site's solar factor: measured kWh over kWp x the cell's observed irradiance / 1000 over
     * the daylight hours of the window (irradiance above 50 W/m2).
     */
    solarFactors: (x: Window) => query('solar factors', `
      SELECT s.site_id AS site_id, sum(s.solar_kwh) / sum(h.solar_kwp * wo.g / 1000) AS factor, count() AS hours
      FROM ${db}.site_hourly AS s
      INNER JOIN ${db}.site_hierarchy AS h ON h.site_id = s.site_id
      INNER JOIN (
        SELECT cell_id, toStartOfHour(observed_at) AS hour, avg(irradiance_w_per_m2) AS g
        FROM ${db}.weather_observations WHERE observed_at >= ${ts('from')} AND observed_at < ${ts('to')} GROUP BY cell_id, hour
      ) AS wo ON wo.cell_id = h.weather_cell_id AND wo.hour = s.hour
      WHERE s.hour >= ${ts('from')} AND s.hour < ${ts('to')} AND wo.g > 50 AND h.solar_kwp > 0
      GROUP BY s.site_id`, w(x),
    (r) => {
      const id = str(r, 'site_id');
      const f = num(r, 'factor');
      return id === null || f === null ? null : { siteId: id, factor: f };
    }),

    /** Each site's mean load per UTC hour of week over the window's complete hours. */
    loadProfiles: (x: Window) => query('load profiles', `
      SELECT site_id, groupArray(how) AS hows, groupArray(kw) AS kws
      FROM (
        SELECT site_id, toUInt8((toDayOfWeek(hour) - 1) * 24 + toHour(hour)) AS how, avg(load_kwh) AS kw
        FROM ${db}.site_hourly WHERE hour >= ${ts('from')} AND hour < ${ts('to')} GROUP BY site_id, how
      ) GROUP BY site_id`, w(x),
    (r) => {
      const id = str(r, 'site_id');
      const hows = nums(r, 'hows');
      const kws = nums(r, 'kws');
      return id === null || hows === null || kws === null || hows.length !== kws.length ? null : { siteId: id, hows, kws };
    }),

    /** Each site's newest hourly load before the issue time (the current hour's so far included). */
    recentLoads: (x: Window) => query('recent loads', `
      SELECT site_id, toUnixTimestamp64Milli(toDateTime64(max(hour), 3, 'UTC')) AS hour_ms, argMax(load_kwh, hour) AS kw
      FROM ${db}.site_hourly WHERE hour >= ${ts('to')} - INTERVAL 3 HOUR AND hour <= ${ts('to')}
      GROUP BY site_id`, w(x),
    (r) => {
      const id = str(r, 'site_id');
      const h = num(r, 'hour_ms');
      const kw = num(r, 'kw');
      return id === null || h === null || kw === null ? null : { siteId: id, hourMs: h, kw };
    }),

    /**
     * Each site's heating and cooling sensitivity (kW per degree): slope of its load's deviation
     * from its hour-of-week mean against the cell's degree-hours' deviation from theirs (16 C and
     * 22 C balance points, as load-model.ts). NaN (dropped, so no adjustment) without spread.
     */
    loadSensitivities: (x: Window) => query('load sensitivities', `
      WITH hourly AS (
        SELECT s.site_id AS site_id, s.hour AS hour, toUInt8((toDayOfWeek(s.hour) - 1) * 24 + toHour(s.hour)) AS how, s.load_kwh AS l,
               greatest(0, 16 - wo.t) AS hd, greatest(0, wo.t - 22) AS cd
        FROM ${db}.site_hourly AS s
        INNER JOIN ${db}.site_hierarchy AS h ON h.site_id = s.site_id
        INNER JOIN (
          SELECT cell_id, toStartOfHour(observed_at) AS hour, avg(temperature_c) AS t
          FROM ${db}.weather_observations WHERE observed_at >= ${ts('from')} AND observed_at < ${ts('to')} GROUP BY cell_id, hour
        ) AS wo ON wo.cell_id = h.weather_cell_id AND wo.hour = s.hour
        WHERE s.hour >= ${ts('from')} AND s.hour < ${ts('to')}
      ),
      means AS (SELECT site_id, how, avg(l) AS ml, avg(hd) AS mhd, avg(cd) AS mcd FROM hourly GROUP BY site_id, how)
      SELECT hourly.site_id AS site_id,
             if(sum((hd - mhd) * (hd - mhd)) > 1, sum((hd - mhd) * (l - ml)) / sum((hd - mhd) * (hd - mhd)), nan) AS heat,
             if(sum((cd - mcd) * (cd - mcd)) > 1, sum((cd - mcd) * (l - ml)) / sum((cd - mcd) * (cd - mcd)), nan) AS cool
      FROM hourly INNER JOIN means ON means.site_id = hourly.site_id AND means.how = hourly.how
      GROUP BY hourly.site_id`, w(x),
    (r) => {
      const id = str(r, 'site_id');
      return id === null ? null : { siteId: id, heatKwPerC: num(r, 'heat'), coolKwPerC: num(r, 'cool') };
    }),

    /**
     * Provider forecasts of one quantity published in the 14 days up to the issue time, on the
     * hourly grid (a half-hourly provider's two values of an hour averaged), the newest issue of
     * each issue hour per source and area only (the correction learns from one issue in two hours).
     */
    providerHours: (quantity: string, x: Window) => query(`provider forecasts of ${quantity}`, `
      SELECT source_id, area_id, toUnixTimestamp64Milli(issued_at) AS issued_ms,
             toUnixTimestamp64Milli(toDateTime64(toStartOfHour(target_at), 3, 'UTC')) AS hour_ms, avg(forecast) AS v
      FROM ${db}.provider_forecasts FINAL
      WHERE quantity = {quantity:String} AND forecast IS NOT NULL
        AND issued_at <= ${ts('issued')} AND issued_at > ${ts('issued')} - INTERVAL 14 DAY
        AND (source_id, area_id, issued_at) IN (
          SELECT source_id, area_id, max(issued_at) FROM ${db}.provider_forecasts
          WHERE quantity = {quantity:String} AND issued_at <= ${ts('issued')} AND issued_at > ${ts('issued')} - INTERVAL 14 DAY
          GROUP BY source_id, area_id, toStartOfHour(issued_at))
      GROUP BY source_id, area_id, issued_ms, hour_ms ORDER BY source_id, area_id, issued_ms, hour_ms`, { ...w(x), quantity },
    (r) => {
      const source = str(r, 'source_id');
      const area = str(r, 'area_id');
      const issued = num(r, 'issued_ms');
      const h = num(r, 'hour_ms');
      const v = num(r, 'v');
      return source === null || area === null || issued === null || h === null || v === null ? null : { sourceId: source, areaId: area, issuedAtMs: issued, hourMs: h, value: v };
    }),

    /** The newest area forecast of a kind per area issued at or before the issue time (and within a day). */
    latestAreas: (kind: 'weather' | 'emissions', x: Window) => query(`latest ${kind} forecasts`, `
      SELECT area_id, toUnixTimestamp64Milli(issued_at) AS issued_ms, toUnixTimestamp64Milli(valid_from) AS from_ms,
             latitude_deg AS lat, longitude_deg AS lon, temperature_c AS t, cloud_cover_pct AS c, irradiance_w_per_m2 AS g, carbon_g_per_kwh AS co2,
             alert_kinds AS ak, alert_severities AS asv, arrayMap(x -> toUnixTimestamp64Milli(x), alert_starts_at) AS ast, arrayMap(x -> toUnixTimestamp64Milli(x), alert_ends_at) AS aen
      FROM ${db}.forecast_areas FINAL
      WHERE kind = {kind:String} AND issued_at <= ${ts('issued')} AND issued_at > ${ts('issued')} - INTERVAL 1 DAY
      ORDER BY area_id, issued_at DESC LIMIT 1 BY area_id`, { ...w(x), kind },
    (r) => {
      const id = str(r, 'area_id');
      const issued = num(r, 'issued_ms');
      const from = num(r, 'from_ms');
      const t = nums(r, 't');
      const c = nums(r, 'c');
      const g = nums(r, 'g');
      const co2 = nums(r, 'co2');
      const ak = strs(r, 'ak');
      const asv = strs(r, 'asv');
      const ast = nums(r, 'ast');
      const aen = nums(r, 'aen');
      if (id === null || issued === null || from === null || t === null || c === null || g === null || co2 === null || ak === null || asv === null || ast === null || aen === null) return null;
      return { areaId: id, issuedAtMs: issued, validFromMs: from, latitudeDeg: num(r, 'lat') ?? NaN, longitudeDeg: num(r, 'lon') ?? NaN, temperatureC: t, cloudCoverPct: c, irradianceWPerM2: g, carbonGPerKwh: co2, alerts: ak.map((k, i) => ({ kind: k, severity: asv[i] ?? '', startsAtMs: ast[i] ?? 0, endsAtMs: aen[i] ?? 0 })) };
    }),
  };
};

export type FeatureReader = ReturnType<typeof createFeatureReader>;
export type SiteRow = Awaited<ReturnType<FeatureReader['sites']>>[number];
export type AreaForecastRow = Awaited<ReturnType<FeatureReader['latestAreas']>>[number];
export type ProviderHourRow = Awaited<ReturnType<FeatureReader['providerHours']>>[number];
