import { describe, expect, it } from 'vitest';
import { shareReachedSec } from '../../../bench/delivery.ts';

describe('shareReachedSec (the delivery bench\'s 50/99/100 % times)', () => {
  it('reads the time at which a share of all devices had the bundle', () => {
    const times = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(shareReachedSec(times, 10, 0.5)).toBe(5);
    expect(shareReachedSec(times, 10, 0.99)).toBe(10);
    expect(shareReachedSec(times, 10, 1)).toBe(10);
  });

  it('counts devices that never got it: a share not reached is NaN, not the slowest of those that did', () => {
    const times = [1, 2, 3, 4, 5, 6, 7];
    expect(shareReachedSec(times, 10, 0.5)).toBe(5);
    expect(shareReachedSec(times, 10, 0.99)).toBeNaN();
    expect(shareReachedSec(times, 10, 1)).toBeNaN();
  });
});
