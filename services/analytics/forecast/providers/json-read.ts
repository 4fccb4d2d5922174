/**
 * Narrowing of a provider's JSON at the edge, pure: each reader returns the value or throws a
 * ProviderShapeError naming the path, which the adapter turns into a result value. Providers
 * change their responses; an error that says `data[3].intensity.forecast is not a number` is
 * what an operator needs to fix a mapping.
 */
export class ProviderShapeError extends Error {}

export type Json = unknown;

export const field = (x: Json, key: string, path: string): Json => {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new ProviderShapeError(`${path} is not an object`);
  return (x as Record<string, unknown>)[key];
};
export const arr = (x: Json, path: string): Json[] => {
  if (!Array.isArray(x)) throw new ProviderShapeError(`${path} is not an array`);
  return x;
};
export const str = (x: Json, path: string): string => {
  if (typeof x !== 'string' || x === '') throw new ProviderShapeError(`${path} is not a string`);
  return x;
};
export const num = (x: Json, path: string): number => {
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new ProviderShapeError(`${path} is not a number`);
  return x;
};
/** A number, or null where the provider left it null or out (an actual not published yet). */
export const numOrNull = (x: Json, path: string): number | null => (x === null || x === undefined ? null : num(x, path));
/** An ISO 8601 time; without an offset it is read as UTC (what the providers document). */
export const time = (x: Json, path: string): number => {
  const s = str(x, path);
  const iso = /[zZ]|[+-]\d{2}:?\d{2}$/.test(s) ? s : `${s}Z`;
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new ProviderShapeError(`${path} "${s}" is not a time`);
  return ms;
};
