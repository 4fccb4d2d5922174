/**
 * Sun position and clear-sky irradiance. Accuracy of a degree or so is plenty for a simulator:
 * Cooper's declination, Spencer's equation of time, and the Haurwitz clear-sky model
 * (GHI = 1098 cos Z exp(-0.059 / cos Z) W/m2), which needs nothing but the zenith angle.
 */
const DAY_MS = 86_400_000;
const RAD = Math.PI / 180;

export interface SolarPosition {
  readonly declinationDeg: number;
  /** Negative before solar noon, 15 degrees per hour. */
  readonly hourAngleDeg: number;
  /** Above the horizon when positive. */
  readonly elevationDeg: number;
}

/** Day of the year, 1..366, of a UTC time. */
export const dayOfYear = (tMs: number): number => {
  const d = new Date(tMs);
  return Math.floor((tMs - Date.UTC(d.getUTCFullYear(), 0, 1)) / DAY_MS) + 1;
};

/** Solar declination (Cooper 1969), degrees. */
export const declinationDeg = (doy: number): number => 23.45 * Math.sin((2 * Math.PI * (284 + doy)) / 365);

/** Equation of time (Spencer 1971), minutes. */
export const equationOfTimeMin = (doy: number): number => {
  const b = (2 * Math.PI * (doy - 1)) / 365;
  return 229.18 * (0.000075 + 0.001868 * Math.cos(b) - 0.032077 * Math.sin(b) - 0.014615 * Math.cos(2 * b) - 0.040849 * Math.sin(2 * b));
};

/** Local solar time in hours [0, 24) at a longitude. */
export const solarTimeHours = (longitudeDeg: number, tMs: number): number => {
  const utcHours = (((tMs % DAY_MS) + DAY_MS) % DAY_MS) / 3_600_000;
  const h = utcHours + longitudeDeg / 15 + equationOfTimeMin(dayOfYear(tMs)) / 60;
  return ((h % 24) + 24) % 24;
};

export const solarPosition = (latitudeDeg: number, longitudeDeg: number, tMs: number): SolarPosition => {
  const decl = declinationDeg(dayOfYear(tMs));
  const hourAngleDeg = 15 * (solarTimeHours(longitudeDeg, tMs) - 12);
  const lat = latitudeDeg * RAD;
  const d = decl * RAD;
  const sinEl = Math.sin(lat) * Math.sin(d) + Math.cos(lat) * Math.cos(d) * Math.cos(hourAngleDeg * RAD);
  return { declinationDeg: decl, hourAngleDeg, elevationDeg: Math.asin(Math.max(-1, Math.min(1, sinEl))) / RAD };
};

/**
 * The sun as a unit vector in the local east, north, up frame (up = sin elevation), from the
 * declination, hour angle and latitude: what plane-of-array transposition needs (the cosine of
 * the angle of incidence on a surface is its dot product with the surface's normal).
 */
export interface SunVector { readonly east: number; readonly north: number; readonly up: number }

export const sunVector = (latitudeDeg: number, declination: number, hourAngleDeg: number): SunVector => {
  const lat = latitudeDeg * RAD;
  const d = declination * RAD;
  const h = hourAngleDeg * RAD;
  return {
    east: -Math.cos(d) * Math.sin(h),
    north: Math.sin(d) * Math.cos(lat) - Math.cos(d) * Math.sin(lat) * Math.cos(h),
    up: Math.sin(lat) * Math.sin(d) + Math.cos(lat) * Math.cos(d) * Math.cos(h),
  };
};

export const sunVectorAt = (latitudeDeg: number, longitudeDeg: number, tMs: number): SunVector =>
  sunVector(latitudeDeg, declinationDeg(dayOfYear(tMs)), 15 * (solarTimeHours(longitudeDeg, tMs) - 12));

/** Sun azimuth, degrees clockwise from north (180 = due south), from its vector. */
export const sunAzimuthDeg = (v: SunVector): number => ((Math.atan2(v.east, v.north) / RAD) + 360) % 360;

/** Haurwitz clear-sky global horizontal irradiance from the sun's elevation, W/m2 (0 at night). */
export const clearSkyGhiWPerM2 = (elevationDeg: number): number => {
  if (elevationDeg <= 0) return 0;
  const cosZ = Math.sin(elevationDeg * RAD);
  return 1098 * cosZ * Math.exp(-0.059 / cosZ);
};

export const clearSkyGhiAt = (latitudeDeg: number, longitudeDeg: number, tMs: number): number =>
  clearSkyGhiWPerM2(solarPosition(latitudeDeg, longitudeDeg, tMs).elevationDeg);
