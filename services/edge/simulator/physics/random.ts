/**
 * Seeded randomness for the simulator. Two kinds:
 * - a sequential PRNG (mulberry32) for things drawn once in order (the fleet layout);
 * - a stateless hash of (seed, parts...) to a uint32, so a value at (cell, time) is a pure function
 *   of its coordinates: the weather at noon on day 40 does not depend on whether day 39 was asked.
 * Smooth noise is value noise over that hash: lattice values interpolated with a smoothstep.
 */

/** murmur3's finalizer: a good avalanche for 32-bit ints. */
const fmix32 = (h0: number): number => {
  let h = h0 >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
};

const mixInt = (h: number, v: number): number => fmix32(Math.imul(h ^ (v | 0), 0x9e3779b1) + ((v / 0x1_0000_0000) | 0));

/** FNV-1a of a string, then avalanched. Stable across runs and platforms. */
export const hashString = (s: string): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
};

/** A uint32 from a seed and any mix of strings and integers (non-integers are floored). */
export const hash32 = (seed: number, ...parts: ReadonlyArray<string | number>): number => {
  let h = fmix32(seed ^ 0x5bd1e995);
  for (const p of parts) h = mixInt(h, typeof p === 'string' ? hashString(p) : Math.floor(p));
  return h;
};

/** Fast path for the hot noise loops: integers only, no rest parameter. */
export const hashInts3 = (key: number, a: number, b: number, c: number): number =>
  fmix32(Math.imul(fmix32(Math.imul(fmix32(key ^ Math.imul(a, 0x27d4eb2d)) ^ b, 0x165667b1)) ^ c, 0x9e3779b1));

/** Uniform in [0, 1) from a uint32. */
export const toUnit = (h: number): number => (h >>> 0) / 0x1_0000_0000;

/** Uniform in [0, 1) at (seed, parts). */
export const hashUnit = (seed: number, ...parts: ReadonlyArray<string | number>): number => toUnit(hash32(seed, ...parts));

/** Sequential PRNG: mulberry32. Returns a function giving uniform values in [0, 1). */
export const mulberry32 = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
};

/** Standard normal from two uniforms (Box-Muller). */
export const normalFrom = (u1: number, u2: number): number => Math.sqrt(-2 * Math.log(Math.max(u1, 1e-12))) * Math.cos(2 * Math.PI * u2);

const smooth = (t: number): number => t * t * (3 - 2 * t);
const lerp = (a: number, b: number, t: number): number => a + (b - a) * t;

/** Smooth 1-D value noise in [0, 1): lattice points at integers of x. */
export const valueNoise1 = (key: number, x: number): number => {
  const i = Math.floor(x);
  const t = smooth(x - i);
  return lerp(toUnit(hashInts3(key, i, 0, 0)), toUnit(hashInts3(key, i + 1, 0, 0)), t);
};

/** Smooth 3-D value noise in [0, 1): lattice points at integer (x, y, z). */
export const valueNoise3 = (key: number, x: number, y: number, z: number): number => {
  const xi = Math.floor(x);
  const yi = Math.floor(y);
  const zi = Math.floor(z);
  const tx = smooth(x - xi);
  const ty = smooth(y - yi);
  const tz = smooth(z - zi);
  const v = (dx: number, dy: number, dz: number): number => toUnit(hashInts3(key, xi + dx, yi + dy, zi + dz));
  const z0 = lerp(lerp(v(0, 0, 0), v(1, 0, 0), tx), lerp(v(0, 1, 0), v(1, 1, 0), tx), ty);
  const z1 = lerp(lerp(v(0, 0, 1), v(1, 0, 1), tx), lerp(v(0, 1, 1), v(1, 1, 1), tx), ty);
  return lerp(z0, z1, tz);
};

/** Two octaves of 1-D value noise, roughly centred: in [-1, 1]. */
export const smoothNoise1 = (key: number, x: number): number => (valueNoise1(key, x) * 2 - 1) * 0.7 + (valueNoise1(key ^ 0x2545f491, x * 3.1) * 2 - 1) * 0.3;
