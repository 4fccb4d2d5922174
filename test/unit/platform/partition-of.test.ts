import fc from 'fast-check';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createPartitionOf } from '../../../services/platform/partition-of.ts';

const kafkajsPartition = (key: string, n: number): number =>
  kafkajs.Partitioners.DefaultPartitioner()({
    topic: 't',
    partitionMetadata: Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] })),
    message: { key, value: null },
  });

describe('partitionOf', () => {
  it("answers kafkajs's murmur2 partition for every key and count, first time and remembered, past its bound too (2,000 keys, bound 50)", () => {
    const partitionOf = createPartitionOf(50);
    fc.assert(fc.property(fc.string({ maxLength: 40 }), fc.integer({ min: 1, max: 64 }), (key, n) => {
      const want = kafkajsPartition(key, n);
      expect(partitionOf(key, n)).toBe(want);
      expect(partitionOf(key, n)).toBe(want);
    }), { numRuns: 2_000 });
  });

  it('tells partition counts apart: the same key under two counts', () => {
    const partitionOf = createPartitionOf();
    const keys = Array.from({ length: 200 }, (_, i) => `site-${i}`);
    const differs = keys.filter((k) => partitionOf(k, 12) !== partitionOf(k, 7));
    expect(differs.length).toBeGreaterThan(100);
    for (const k of keys) {
      expect(partitionOf(k, 12)).toBe(kafkajsPartition(k, 12));
      expect(partitionOf(k, 7)).toBe(kafkajsPartition(k, 7));
    }
  });
});
