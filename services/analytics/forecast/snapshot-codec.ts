/**
 * A run's snapshot, pure: what the parent job read, frozen so that every attempt of every chunk
 * computes from the same inputs (and so publishes the same bytes). Sites are packed in a compact
 * binary form (about 390 bytes a site; 500k sites are ~195 MB in Redis for the life of a run);
 * the part every chunk shares (cell and region forecasts) is JSON.
 *
 * Loads are kept in whole watts (uint16, 0xFFFF = not seen), enough for a household's hourly
 * mean (up to 65.5 kW); coordinates and factors as float32.
 */
import type { WeatherAlert } from './models/weather-model.ts';
import type { SiteFeatures } from './site-features.ts';

// "GFS2": v2 adds tilt, azimuth and altitude; a v1 snapshot (a run from before) is refused as a poison chunk.
const MAGIC = 0x47465332;
const NOT_SEEN = 0xffff;
const FLOATS = 10;
const FIXED_BYTES = 2 + FLOATS * 4 + 8 + 2 * 4 + 168 * 2;

export const encodeSites = (sites: readonly SiteFeatures[]): Buffer => {
  const ids = sites.map((s) => Buffer.from(s.siteId, 'utf8'));
  const size = 8 + ids.reduce((a, id) => a + FIXED_BYTES + id.length, 0);
  const b = Buffer.alloc(size);
  b.writeUInt32BE(MAGIC, 0);
  b.writeUInt32BE(sites.length, 4);
  let o = 8;
  sites.forEach((s, i) => {
    const id = ids[i] ?? Buffer.alloc(0);
    if (id.length > 0xffff) throw new Error(`site id of ${id.length} bytes is too long`);
    o = b.writeUInt16BE(id.length, o);
    o += id.copy(b, o);
    for (const x of [s.latitudeDeg, s.longitudeDeg, s.solarKwp, s.solarFactor, s.heatKwPerC, s.coolKwPerC, s.recentKw, s.tiltDeg, s.azimuthDeg, s.altitudeM]) o = b.writeFloatBE(x, o);
    o = b.writeDoubleBE(s.recentHourMs, o);
    o = b.writeInt32BE(s.cell, o);
    o = b.writeInt32BE(s.region, o);
    for (let h = 0; h < 168; h++) {
      const kw = s.howKw[h] ?? NaN;
      o = b.writeUInt16BE(Number.isFinite(kw) ? Math.min(NOT_SEEN - 1, Math.max(0, Math.round(kw * 1000))) : NOT_SEEN, o);
    }
  });
  return b;
};

/** Throws on anything but what encodeSites wrote: a corrupt snapshot is a poison chunk. */
export const decodeSites = (b: Buffer): SiteFeatures[] => {
  if (b.length < 8 || b.readUInt32BE(0) !== MAGIC) throw new Error('site snapshot: bad header');
  const n = b.readUInt32BE(4);
  const out: SiteFeatures[] = [];
  let o = 8;
  for (let i = 0; i < n; i++) {
    if (o + 2 > b.length) throw new Error(`site snapshot: truncated at site ${i} of ${n}`);
    const len = b.readUInt16BE(o);
    o += 2;
    if (o + len + FIXED_BYTES - 2 > b.length) throw new Error(`site snapshot: truncated at site ${i} of ${n}`);
    const siteId = b.toString('utf8', o, o + len);
    o += len;
    const f: number[] = [];
    for (let k = 0; k < FLOATS; k++, o += 4) f.push(b.readFloatBE(o));
    const recentHourMs = b.readDoubleBE(o);
    o += 8;
    const cell = b.readInt32BE(o);
    const region = b.readInt32BE(o + 4);
    o += 8;
    const howKw = new Float32Array(168);
    for (let h = 0; h < 168; h++, o += 2) {
      const w = b.readUInt16BE(o);
      howKw[h] = w === NOT_SEEN ? NaN : w / 1000;
    }
    const [latitudeDeg = NaN, longitudeDeg = NaN, solarKwp = NaN, solarFactor = NaN, heatKwPerC = NaN, coolKwPerC = NaN, recentKw = NaN, tiltDeg = NaN, azimuthDeg = NaN, altitudeM = NaN] = f;
    out.push({ siteId, latitudeDeg, longitudeDeg, solarKwp, solarFactor, tiltDeg, azimuthDeg, altitudeM, heatKwPerC, coolKwPerC, cell, region, recentHourMs, recentKw, howKw });
  }
  if (o !== b.length) throw new Error(`site snapshot: ${b.length - o} trailing bytes`);
  return out;
};

export interface SharedCell {
  readonly temperatureC: number[];
  readonly clearness: number[];
  readonly alerts: WeatherAlert[];
  readonly hdd: number[];
  readonly cdd: number[];
  /** True when no weather run's forecast was found and the site run computed it itself. */
  readonly inline: boolean;
  /** Where the cell's clearness was computed (its sites' mean place); absent in older snapshots. */
  readonly latitudeDeg?: number;
  readonly longitudeDeg?: number;
}

/** What every chunk of a site run shares. */
export interface SiteRunShared {
  readonly runId: string;
  readonly issuedAtMs: number;
  readonly validFromMs: number;
  readonly cells: Array<SharedCell | null>;
  readonly regions: Array<{ readonly carbonGPerKwh: number[]; readonly inline: boolean } | null>;
  readonly cellIds: string[];
  readonly regionIds: string[];
}

/** JSON with NaN kept (as null, read back as NaN inside arrays of numbers; an array of nothing but NaN stays nulls, which readers treat as not finite). */
export const encodeShared = (s: SiteRunShared): string => JSON.stringify(s, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v));
export const decodeShared = (json: string): SiteRunShared =>
  JSON.parse(json, (_k, v: unknown) => (Array.isArray(v) && v.some((x) => typeof x === 'number') ? v.map((x: unknown) => (x === null ? NaN : x)) : v)) as SiteRunShared;
