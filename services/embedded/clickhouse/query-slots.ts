/**
 * Per-user limits on queries running at once, as ClickHouse's `max_concurrent_queries_for_user`
 * setting: taken from the user's settings in the users file; the query over the limit is answered
 * at once with TOO_MANY_SIMULTANEOUS_QUERIES (code 202), it never waits.
 */
import type { User } from './users.ts';

export interface QuerySlots {
  /** Takes a slot for the user, or returns the running count and the limit when none is free. */
  take(user: User): { readonly ok: true; readonly release: () => void } | { readonly ok: false; readonly running: number; readonly limit: number };
}

/** The user's `max_concurrent_queries_for_user`, when set to a positive integer (0 means no limit, as in ClickHouse). */
export const concurrencyLimit = (user: User): number | undefined => {
  const raw = user.settings.find(([k]) => k === 'max_concurrent_queries_for_user')?.[1];
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(n) && n > 0 ? n : undefined;
};

export const createQuerySlots = (): QuerySlots => {
  const running = new Map<string, number>();
  return {
    take(user) {
      const limit = concurrencyLimit(user);
      const now = running.get(user.name) ?? 0;
      if (limit !== undefined && now >= limit) return { ok: false, running: now, limit };
      running.set(user.name, now + 1);
      let released = false;
      return {
        ok: true,
        release: () => {
          if (released) return;
          released = true;
          const left = (running.get(user.name) ?? 1) - 1;
          if (left <= 0) running.delete(user.name);
          else running.set(user.name, left);
        },
      };
    },
  };
};
