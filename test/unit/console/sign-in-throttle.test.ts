/**
 * Issue 16: the console turned control tokens into sessions without a limit, an oracle for
 * guessing tokens at control's speed. The throttle lets an address have at most `failures`
 * refused sign-ins in any window, and forgets addresses beyond its bound.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSignInThrottle } from '../../../services/console/sign-in-throttle.ts';

describe('sign-in throttle', () => {
  it('waits exactly while the address has `failures` refusals within the window (any sequence)', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 5_000 }), { maxLength: 40 }), fc.integer({ min: 1, max: 6 }), (gaps, failures) => {
      const windowMs = 1_000;
      const t = createSignInThrottle({ failures, windowMs, maxAddresses: 10 });
      const recorded: number[] = [];
      let now = 0;
      for (const gap of gaps) {
        now += gap;
        const inWindow = recorded.filter((x) => now - x < windowMs).length;
        const wait = t.waitMs('a', now);
        expect(wait > 0).toBe(inWindow >= failures);
        // Waiting the answer is enough, and needed: one ms earlier it still waits.
        if (wait > 0) {
          expect(t.waitMs('a', now + wait)).toBe(0);
          if (wait > 1) expect(t.waitMs('a', now + wait - 1)).toBeGreaterThan(0);
          continue;
        }
        t.failed('a', now);
        recorded.push(now);
      }
    }));
  });

  it('counts each address on its own, and remembers at most maxAddresses', () => {
    const t = createSignInThrottle({ failures: 1, windowMs: 60_000, maxAddresses: 3 });
    t.failed('a', 0);
    expect(t.waitMs('a', 1)).toBe(59_999);
    expect(t.waitMs('b', 1)).toBe(0);
    for (const x of ['b', 'c', 'd']) t.failed(x, 2);
    // 'a' failed longest ago: forgotten first.
    expect(t.waitMs('a', 3)).toBe(0);
    expect(t.waitMs('d', 3)).toBeGreaterThan(0);
  });
});
