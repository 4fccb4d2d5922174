/**
 * Clear-sky irradiance that knows about haze and altitude: the Ineichen-Perez model (Ineichen and
 * Perez 2002, as pvlib implements it in `pvlib.clearsky.ineichen`) with a Linke turbidity
 * climatology, Kasten-Young air mass, the pressure of the site's altitude and Spencer's
 * extraterrestrial irradiance. Shared by the forecast tier (the models' clear sky) and the
 * simulator (which draws its world's turbidity around the same climatology, day by day).
 *
 * Units: irradiance W/m², angles in degrees, altitude in metres above sea level, times UTC ms.
 * The Haurwitz formula in solar-geometry.ts (zenith only, no haze) stays for the grid-mix physics.
 *
 * Linke turbidity: pvlib reads a worldwide monthly grid (SoDa, Remund et al. 2003) that is not
 * available offline here; this module carries the monthly table for a mild northern-hemisphere
 * climate by environment from Scharmer and Greif (2000, the ESRA atlas), as printed in the GRASS
 * GIS r.sun manual. It is interpolated between mid-month values by day of year and shifted by six
 * months south of the equator. A site with a measured value passes its own.
 */
import { dayOfYear } from './solar-geometry.ts';

const RAD = Math.PI / 180;

export const LinkeEnvironments = { mountains: 'mountains', rural: 'rural', city: 'city', industrial: 'industrial' } as const;
export type LinkeEnvironment = (typeof LinkeEnvironments)[keyof typeof LinkeEnvironments];

/** Monthly Linke turbidity, January first (Scharmer and Greif 2000, via the GRASS r.sun manual). */
export const LINKE_MONTHLY: Readonly<Record<LinkeEnvironment, readonly number[]>> = Object.freeze({
  mountains: [1.5, 1.6, 1.8, 1.9, 2.0, 2.3, 2.3, 2.3, 2.1, 1.8, 1.6, 1.5],
  rural: [2.1, 2.2, 2.5, 2.9, 3.2, 3.4, 3.5, 3.3, 2.9, 2.6, 2.3, 2.2],
  city: [3.1, 3.2, 3.5, 4.0, 4.2, 4.3, 4.4, 4.3, 4.0, 3.6, 3.3, 3.1],
  industrial: [4.1, 4.3, 4.7, 5.3, 5.5, 5.7, 5.8, 5.7, 5.3, 4.9, 4.5, 4.2],
});

/** Day of year of each month's middle (non-leap year). */
const MID_MONTH_DOY = [16, 45, 75, 105, 136, 166, 197, 228, 258, 289, 319, 350] as const;

/** Linke turbidity of a day at a latitude, interpolated between mid-month values. */
export const linkeTurbidity = (latitudeDeg: number, doy: number, env: LinkeEnvironment = 'rural'): number => {
  const table = LINKE_MONTHLY[env];
  // Six months on in the southern hemisphere: its July is the north's January.
  const d = (((latitudeDeg < 0 ? doy + 182.5 : doy) - 1) % 365 + 365) % 365 + 1;
  let a = 11; // before mid-January: between mid-December and mid-January
  for (let m = 0; m < 12; m++) if ((MID_MONTH_DOY[m] ?? 0) <= d) a = m;
  const j = (a + 1) % 12;
  const from = MID_MONTH_DOY[a] ?? 0;
  const span = ((MID_MONTH_DOY[j] ?? 0) - from + 365) % 365;
  const w = ((d - from + 365) % 365) / span;
  return (table[a] ?? 3) * (1 - w) + (table[j] ?? 3) * w;
};

/** Extraterrestrial normal irradiance (Spencer 1971, solar constant 1366.1 W/m² as pvlib), W/m². */
export const extraterrestrialWPerM2 = (doy: number): number => {
  const b = (2 * Math.PI * doy) / 365;
  return 1366.1 * (1.00011 + 0.034221 * Math.cos(b) + 0.00128 * Math.sin(b) + 0.000719 * Math.cos(2 * b) + 0.000077 * Math.sin(2 * b));
};

/** Relative air mass (Kasten and Young 1989) at a zenith angle in degrees; NaN below the horizon. */
export const relativeAirmass = (zenithDeg: number): number =>
  zenithDeg >= 90 || !Number.isFinite(zenithDeg) ? NaN : 1 / (Math.cos(zenithDeg * RAD) + 0.50572 * Math.pow(96.07995 - zenithDeg, -1.6364));

/** Standard-atmosphere pressure at an altitude (pvlib's alt2pres), Pa. */
export const pressureAtAltitudePa = (altitudeM: number): number => 100 * Math.pow((44331.514 - altitudeM) / 11880.516, 1 / 0.1902632);

export interface Irradiance {
  /** Global horizontal. */
  readonly ghi: number;
  /** Direct normal. */
  readonly dni: number;
  /** Diffuse horizontal. */
  readonly dhi: number;
}

export const NO_SUN: Irradiance = Object.freeze({ ghi: 0, dni: 0, dhi: 0 });

/**
 * Ineichen-Perez clear sky from the cosine of the zenith, the pressure-corrected (absolute) air
 * mass, the Linke turbidity and the altitude; dniExtra 1364 W/m² by default, as pvlib's.
 */
export const ineichenPerez = (cosZenith: number, airmassAbsolute: number, linke: number, altitudeM = 0, dniExtra = 1364): Irradiance => {
  if (!(cosZenith > 0) || !Number.isFinite(airmassAbsolute)) return NO_SUN;
  const fh1 = Math.exp(-altitudeM / 8000);
  const fh2 = Math.exp(-altitudeM / 1250);
  const cg1 = 5.09e-5 * altitudeM + 0.868;
  const cg2 = 3.92e-5 * altitudeM + 0.0387;
  const ghi = cg1 * dniExtra * cosZenith * Math.max(0, Math.exp(-cg2 * airmassAbsolute * (fh1 + fh2 * (linke - 1))));
  const b = 0.664 + 0.163 / fh1;
  const bnci = dniExtra * Math.max(0, b * Math.exp(-0.09 * airmassAbsolute * (linke - 1)));
  // The empirical limit that keeps the beam below what the global allows (pvlib's bnci_2).
  const bnci2 = ghi * Math.min(1e20, Math.max(0, (1 - (0.1 - 0.2 * Math.exp(-linke)) / (0.1 + 0.882 / fh1)) / cosZenith));
  const dni = Math.min(bnci, bnci2);
  return { ghi, dni, dhi: ghi - dni * cosZenith };
};

export interface SkyOptions {
  readonly altitudeM?: number;
  /** A measured or simulated Linke turbidity; the climatology of `environment` otherwise. */
  readonly linke?: number;
  readonly environment?: LinkeEnvironment;
}

/** Clear-sky components for a sun at elevationDeg on a day, at a latitude (for the climatology). */
export const clearSkyAtElevation = (elevationDeg: number, latitudeDeg: number, doy: number, o: SkyOptions = {}): Irradiance => {
  if (!(elevationDeg > 0)) return NO_SUN;
  const alt = o.altitudeM ?? 0;
  const zenith = 90 - elevationDeg;
  const am = relativeAirmass(zenith) * (pressureAtAltitudePa(alt) / 101325);
  return ineichenPerez(Math.sin(elevationDeg * RAD), am, o.linke ?? linkeTurbidity(latitudeDeg, doy, o.environment), alt, extraterrestrialWPerM2(doy));
};

/** Shorthand with the day from a time. */
export const clearSkyFor = (elevationDeg: number, latitudeDeg: number, tMs: number, o: SkyOptions = {}): Irradiance =>
  clearSkyAtElevation(elevationDeg, latitudeDeg, dayOfYear(tMs), o);
