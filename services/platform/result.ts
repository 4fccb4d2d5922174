/**
 * Expected failures are values: validation and business outcomes return a Result.
 * Unexpected failures (infrastructure) are thrown as PlatformError (see errors.ts).
 */
export type Result<T, E = string> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E>(error: E): Result<never, E> => ({ ok: false, error });
