/**
 * Irradiance on a tilted PV array, pure, as pvlib computes it: a horizontal global irradiance is
 * split into beam and diffuse by the Erbs correlation (Erbs, Klein and Duffie 1982; pvlib's
 * `irradiance.erbs`) when only the global is known, and transposed to the plane of the array by
 * the Hay-Davies sky model (Hay and Davies 1980; pvlib's `irradiance.haydavies`), plus the light
 * reflected by the ground (isotropic, albedo 0.2 by default).
 *
 * Orientation: tilt from horizontal (0 flat, 90 a wall), azimuth clockwise from north where the
 * array faces (180 due south). A flat array receives exactly the horizontal global irradiance.
 * Angles in degrees, irradiance W/m².
 */
import type { Irradiance } from './clear-sky.ts';
import type { SunVector } from './solar-geometry.ts';

const RAD = Math.PI / 180;

export interface Orientation {
  readonly tiltDeg: number;
  readonly azimuthDeg: number;
}

export const FLAT: Orientation = Object.freeze({ tiltDeg: 0, azimuthDeg: 180 });
export const DEFAULT_ALBEDO = 0.2;

/** The array's unit normal in the east, north, up frame. */
export interface SurfaceNormal extends SunVector {
  readonly cosTilt: number;
}

export const surfaceNormal = (o: Orientation): SurfaceNormal => {
  const t = o.tiltDeg * RAD;
  const a = o.azimuthDeg * RAD;
  return { east: Math.sin(t) * Math.sin(a), north: Math.sin(t) * Math.cos(a), up: Math.cos(t), cosTilt: Math.cos(t) };
};

/** Is an orientation usable: tilt 0..90, azimuth a finite angle. */
export const validOrientation = (o: { tiltDeg: number | null; azimuthDeg: number | null }): o is Orientation =>
  o.tiltDeg !== null && o.azimuthDeg !== null && Number.isFinite(o.tiltDeg) && Number.isFinite(o.azimuthDeg) && o.tiltDeg >= 0 && o.tiltDeg <= 90;

/** Cosine of the angle of incidence, clipped at 0 (the sun behind the array). */
export const cosIncidence = (sun: SunVector, n: SunVector): number => Math.max(0, sun.east * n.east + sun.north * n.north + sun.up * n.up);

/**
 * Erbs decomposition of a global horizontal irradiance at a sun with cos(zenith) cosZenith, with
 * the day's extraterrestrial irradiance. As pvlib: the clearness index uses cos zenith of at least
 * 0.065 and is capped at 1; beyond 87 degrees of zenith everything is diffuse.
 */
export const erbs = (ghi: number, cosZenith: number, dniExtra: number): Irradiance & { readonly kt: number } => {
  if (!(ghi > 0) || !(cosZenith > 0)) return { ghi: Math.max(0, ghi), dni: 0, dhi: Math.max(0, ghi), kt: 0 };
  const kt = Math.min(1, Math.max(0, ghi / (dniExtra * Math.max(cosZenith, 0.065))));
  const df = kt <= 0.22 ? 1 - 0.09 * kt : kt <= 0.8 ? 0.9511 - 0.1604 * kt + 4.388 * kt ** 2 - 16.638 * kt ** 3 + 12.336 * kt ** 4 : 0.165;
  const dhi = df * ghi;
  const dni = (ghi - dhi) / cosZenith;
  if (cosZenith < Math.cos(87 * RAD) || dni < 0) return { ghi, dni: 0, dhi: ghi, kt };
  return { ghi, dni, dhi, kt };
};

export interface PoaInput {
  readonly sky: Irradiance;
  readonly sun: SunVector;
  readonly normal: SurfaceNormal;
  readonly dniExtra: number;
  readonly albedo?: number;
}

/**
 * Hay-Davies sky diffuse on the plane: the diffuse split by the anisotropy index (beam over
 * extraterrestrial) into a circumsolar part that follows the beam's geometry and an isotropic
 * rest seen through the array's view factor of the sky.
 */
export const skyDiffuseHayDavies = (sky: Irradiance, sun: SunVector, normal: SurfaceNormal, dniExtra: number): { isotropic: number; circumsolar: number } => {
  if (!(sun.up > 0) || !(sky.dhi > 0)) return { isotropic: 0, circumsolar: 0 };
  const rb = cosIncidence(sun, normal) / Math.max(sun.up, 0.01745);
  const ai = sky.dni / dniExtra;
  return { isotropic: Math.max(0, sky.dhi * (1 - ai) * 0.5 * (1 + normal.cosTilt)), circumsolar: Math.max(0, sky.dhi * ai * rb) };
};

/** Hay-Davies plane-of-array global irradiance: beam + circumsolar + isotropic sky + ground. */
export const poaHayDavies = ({ sky, sun, normal, dniExtra, albedo = DEFAULT_ALBEDO }: PoaInput): number => {
  if (!(sun.up > 0) || !(sky.ghi > 0)) return 0;
  const d = skyDiffuseHayDavies(sky, sun, normal, dniExtra);
  const ground = sky.ghi * albedo * 0.5 * (1 - normal.cosTilt);
  return Math.max(0, sky.dni * cosIncidence(sun, normal) + d.isotropic + d.circumsolar + ground);
};

/** Isotropic-sky plane-of-array global irradiance (Liu and Jordan), for comparison and the simulator. */
export const poaIsotropic = ({ sky, sun, normal, albedo = DEFAULT_ALBEDO }: PoaInput): number => {
  if (!(sun.up > 0) || !(sky.ghi > 0)) return 0;
  return Math.max(0, sky.dni * cosIncidence(sun, normal) + sky.dhi * 0.5 * (1 + normal.cosTilt) + sky.ghi * albedo * 0.5 * (1 - normal.cosTilt));
};
