// Snapshots and full views of all 48 shards came due in the same tick (100,000 devices encoded and
// sent at once set the rollup lag's p99): each shard's turn is spread over the interval.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dueOnGrid, phaseMs } from '../../../../services/operational/assets/shard-flush.ts';

describe('phaseMs', () => {
  it('spreads the shards of each kind evenly over the interval, parents between sites', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 500, max: 3_600_000 }), (partitions, every) => {
        const sites = Array.from({ length: partitions }, (_, p) => phaseMs('site', p, partitions, every));
        const parents = Array.from({ length: partitions }, (_, p) => phaseMs('parent', p, partitions, every));
        for (const x of [...sites, ...parents]) expect(x >= 0 && x < every).toBe(true);
        expect(new Set(sites).size).toBe(partitions);
        const step = every / partitions;
        sites.forEach((x, p) => expect(Math.abs(x - p * step)).toBeLessThanOrEqual(1));
        parents.forEach((x, p) => expect(Math.abs(x - (p + 0.5) * step)).toBeLessThanOrEqual(1));
      }),
    );
  });

  it('negative control: not all shards share a phase', () => {
    const phases = new Set(Array.from({ length: 24 }, (_, p) => phaseMs('site', p, 24, 15_000)));
    expect(phases.size).toBeGreaterThan(1);
  });
});

describe('dueOnGrid', () => {
  it('makes every shard whose last flush fell in the previous cell due in the same tick', () => {
    fc.assert(
      fc.property(fc.integer({ min: 10, max: 5_000 }), fc.integer({ min: 0, max: 1e12 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), { minLength: 2, maxLength: 48 }), (every, t0, phases) => {
        const cell = Math.floor(t0 / every) * every;
        const lasts = phases.map((f) => cell + Math.floor(f * every));
        // Within the cell nothing is due; at the next cell's start all are.
        for (const last of lasts) {
          expect(dueOnGrid(cell + every - 1, last, every)).toBe(false);
          expect(dueOnGrid(cell + every, last, every)).toBe(true);
        }
      }),
    );
  });

  it('negative control: the per-shard rule (interval since its own last flush) does not line shards up', () => {
    const every = 500;
    const lasts = [1_000, 1_200];
    const perShard = lasts.map((l) => 1_500 - l >= every);
    expect(perShard).toEqual([true, false]);
    expect(lasts.map((l) => dueOnGrid(1_500, l, every))).toEqual([true, true]);
  });
});
