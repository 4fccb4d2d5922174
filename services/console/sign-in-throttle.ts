/**
 * Failed sign-ins per client address (issue 16): the console turns a token into a session, so
 * without a limit it is an oracle for guessing control tokens at the speed of control. After
 * `failures` refused sign-ins within `windowMs`, an address is answered 429 until the oldest of
 * them leaves the window; control is not asked meanwhile. A success does not clear the count (one
 * valid token must not buy more guesses at others). At most `maxAddresses` are remembered, the
 * longest unseen forgotten first, so a flood of addresses costs bounded memory. Time comes in as
 * an argument; no clock is read here.
 */

export interface ThrottleLimits {
  readonly failures: number;
  readonly windowMs: number;
  readonly maxAddresses: number;
}

export const DEFAULT_THROTTLE: ThrottleLimits = { failures: 5, windowMs: 60_000, maxAddresses: 10_000 };

export interface SignInThrottle {
  /** How long this address must wait before its next sign-in, ms (0: it may try now). */
  waitMs(address: string, nowMs: number): number;
  /** A sign-in from this address was refused (unknown token, wrong site). */
  failed(address: string, nowMs: number): void;
}

export const createSignInThrottle = (limits: ThrottleLimits = DEFAULT_THROTTLE): SignInThrottle => {
  // Failure times per address, oldest first; Map order is least recently failed first.
  const byAddress = new Map<string, number[]>();
  // Reading changes nothing (a look at any time answers for that time); `failed` rewrites an entry.
  const recent = (address: string, nowMs: number): number[] => (byAddress.get(address) ?? []).filter((t) => nowMs - t < limits.windowMs);
  return {
    waitMs(address, nowMs) {
      const kept = recent(address, nowMs);
      if (kept.length < limits.failures) return 0;
      const oldest = kept[kept.length - limits.failures] ?? nowMs;
      return Math.max(1, oldest + limits.windowMs - nowMs);
    },
    failed(address, nowMs) {
      const kept = [...recent(address, nowMs), nowMs].slice(-limits.failures);
      byAddress.delete(address);
      byAddress.set(address, kept);
      while (byAddress.size > limits.maxAddresses) {
        const first = byAddress.keys().next();
        if (first.done === true) break;
        byAddress.delete(first.value);
      }
    },
  };
};
