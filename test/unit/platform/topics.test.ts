import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { topicCatalog, TopicNames } from '../../../services/platform/topics.ts';
import { allTopics } from '../../../services/platform/schemas.ts';

describe('the topic catalog', () => {
  it('holds every topic of the design, each with a schema', () => {
    expect(topicCatalog().map((t) => t.name).sort()).toEqual([...allTopics()].sort());
  });

  it('co-partitions the site-keyed topics and keeps compaction where the design says, at any scale', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 5 }), (scale, rf) => {
        const byName = new Map(topicCatalog({ scale, replicationFactor: rf }).map((t) => [t.name, t]));
        const n = byName.get(TopicNames.telemetry)?.partitions;
        expect(n).toBeGreaterThan(1);
        expect(byName.get(TopicNames.assetState)?.partitions).toBe(n);
        expect(byName.get(TopicNames.fleetForecasts)?.partitions).toBe(n);
        for (const t of [TopicNames.assetRegistry, TopicNames.assetState, TopicNames.fleetForecasts]) {
          expect(byName.get(t)?.configs['cleanup.policy']).toBe('compact');
        }
        for (const t of byName.values()) {
          expect(t.replicationFactor).toBe(rf);
          expect(Number(t.configs['min.insync.replicas'])).toBeLessThanOrEqual(rf);
          if (t.configs['cleanup.policy'] === 'delete') expect(Number(t.configs['retention.ms'])).toBeGreaterThan(0);
        }
      }),
    );
  });
});
