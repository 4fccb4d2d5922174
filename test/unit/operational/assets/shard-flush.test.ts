// Snapshots and full views of all 48 shards came due in the same tick (100,000 devices encoded and
// sent at once set the rollup lag's p99): each shard's turn is spread over the interval.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { phaseMs } from '../../../../services/operational/assets/shard-flush.ts';

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
