import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hash32, hashString, hashUnit, mulberry32, smoothNoise1, valueNoise1, valueNoise3 } from '../../../../../services/edge/simulator/physics/random.ts';

describe('seeded randomness', () => {
  it('hash32 is a pure function of (seed, parts) and sensitive to each of them', () => {
    fc.assert(fc.property(fc.integer(), fc.string(), fc.integer({ min: -1e13, max: 1e13 }), (seed, s, t) => {
      expect(hash32(seed, s, t)).toBe(hash32(seed, s, t));
      expect(hashUnit(seed, s, t)).toBeGreaterThanOrEqual(0);
      expect(hashUnit(seed, s, t)).toBeLessThan(1);
    }));
    expect(hash32(1, 'cell-a', 5)).not.toBe(hash32(2, 'cell-a', 5));
    expect(hash32(1, 'cell-a', 5)).not.toBe(hash32(1, 'cell-b', 5));
    expect(hash32(1, 'cell-a', 5)).not.toBe(hash32(1, 'cell-a', 6));
    // epoch-ms sized ints differing only above 32 bits still differ
    expect(hash32(1, 2 ** 40)).not.toBe(hash32(1, 2 ** 41));
    expect(hashString('abc')).toBe(hashString('abc'));
  });

  it('hashUnit is roughly uniform', () => {
    const bins = new Array<number>(10).fill(0);
    for (let i = 0; i < 20_000; i++) {
      const b = Math.floor(hashUnit(7, 'u', i) * 10);
      bins[b] = (bins[b] ?? 0) + 1;
    }
    for (const b of bins) expect(Math.abs(b - 2000)).toBeLessThan(200);
  });

  it('mulberry32 repeats for a seed and differs across seeds', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(xs);
  });

  it('value noise is continuous: small steps give small changes, and stays in range', () => {
    for (let x = 0; x < 50; x += 0.01) {
      expect(Math.abs(valueNoise1(3, x + 0.01) - valueNoise1(3, x))).toBeLessThan(0.05);
      const v3 = valueNoise3(3, x, x / 2, x / 3);
      expect(v3).toBeGreaterThanOrEqual(0);
      expect(v3).toBeLessThan(1);
      expect(Math.abs(smoothNoise1(9, x))).toBeLessThanOrEqual(1);
    }
  });
});
