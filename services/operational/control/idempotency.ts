/**
 * Idempotency-Key for POST /v1/events: a client that retries after a timeout gets the first
 * outcome again instead of a second grid event. Keys are per principal (two operators' keys never
 * collide), held for `ttlMs` and at most `maxKeys` (oldest dropped first). A key reused with a
 * different body is refused: the retry is not the same request.
 *
 * Outcomes of 5xx are not kept, so a retry after Kafka failed can still succeed. The keys live in
 * this process's memory: a retry that reaches control after a restart creates a new event.
 */
export type Stored<T> = { readonly kind: 'done'; readonly fingerprint: string; readonly atMs: number; readonly value: T }
  | { readonly kind: 'running'; readonly fingerprint: string; readonly atMs: number; readonly value: Promise<T> };

export type IdempotentOutcome<T> = { readonly kind: 'fresh' | 'replayed'; readonly value: T } | { readonly kind: 'mismatch' };

export const createIdempotencyStore = <T>(opts: { ttlMs: number; maxKeys: number; now: () => number; keep: (value: T) => boolean }) => {
  const held = new Map<string, Stored<T>>();
  const evict = (nowMs: number): void => {
    for (const [k, v] of held) {
      if (held.size <= opts.maxKeys && nowMs - v.atMs < opts.ttlMs) break;
      held.delete(k);
    }
  };
  return {
    /** Runs `task` once per (scope, key, fingerprint); concurrent and later calls share its outcome. */
    async run(scope: string, key: string, fingerprint: string, task: () => Promise<T>): Promise<IdempotentOutcome<T>> {
      const nowMs = opts.now();
      evict(nowMs);
      const id = `${scope}\u0000${key}`;
      const found = held.get(id);
      if (found !== undefined && nowMs - found.atMs < opts.ttlMs) {
        if (found.fingerprint !== fingerprint) return { kind: 'mismatch' };
        return { kind: 'replayed', value: await found.value };
      }
      const running = task();
      held.set(id, { kind: 'running', fingerprint, atMs: nowMs, value: running });
      try {
        const value = await running;
        if (opts.keep(value)) held.set(id, { kind: 'done', fingerprint, atMs: nowMs, value });
        else held.delete(id);
        return { kind: 'fresh', value };
      } catch (e) {
        held.delete(id);
        throw e;
      }
    },
    size: (): number => held.size,
  };
};
