import { afterAll, describe, expect, it } from 'vitest';
import { topicCatalog, TopicNames } from '../../../services/platform/topics.ts';
import type { IncomingRecord } from '../../../services/platform/kafka.ts';
import { testKafka, testStack } from '../../support/clients.ts';
import { freshName, testConfig } from '../../support/stack-env.ts';

const kafka = testKafka();

describe('Kafka through the adapter on the embedded broker', () => {
  const admin = kafka.admin();
  afterAll(async () => (await admin).disconnect());

  it('has created every catalog topic with its partitions and cleanup policy, and re-applying creates nothing', async () => {
    const a = await admin;
    const topics = await a.listTopics();
    for (const spec of topicCatalog({ scale: testConfig().partitionsScale })) {
      expect(topics).toContain(spec.name);
      expect(await a.partitionCount(spec.name)).toBe(spec.partitions);
      expect((await a.describeConfig(spec.name))['cleanup.policy']).toBe(spec.configs['cleanup.policy']);
    }
    expect(await a.ensureTopics(topicCatalog({ scale: testConfig().partitionsScale }))).toEqual([]);
    // Co-partitioning the shard changelog with telemetry is what lets actors restore a shard.
    expect(await a.partitionCount(TopicNames.assetState)).toBe(await a.partitionCount(TopicNames.telemetry));
  });

  it('produces with acks=-1 and the idempotent producer, consumes in a group, commits, and keeps data and offsets across a broker restart', async () => {
    const topic = freshName('backbone');
    const groupId = freshName('group');
    const a = await admin;
    expect(await a.ensureTopics([{ name: topic, key: 'k', description: 'test', partitions: 4, replicationFactor: 1, configs: {} }])).toEqual([topic]);

    const producer = await kafka.producer();
    const messages = Array.from({ length: 200 }, (_, i) => ({ key: `site-${i % 17}`, value: Buffer.from(`event-${i}`) }));
    const produced = await producer.send(topic, messages);
    expect(produced.length).toBeGreaterThan(0);
    await producer.disconnect();

    const consumer = await kafka.consumer({ groupId, topics: [topic], fromBeginning: true, autoCommit: false });
    const seen: IncomingRecord[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .runBatches(async (batch, ctx) => {
          seen.push(...batch.records);
          const last = batch.records.at(-1);
          if (last) await consumer.commitOffsets([{ topic, partition: batch.partition, offset: last.offset }]);
          await ctx.heartbeat();
          if (seen.length >= messages.length) resolve();
        })
        .catch(reject);
    });
    await consumer.disconnect();
    expect(new Set(seen.map((r) => r.value?.toString()))).toEqual(new Set(messages.map((m) => m.value.toString())));
    // Same key, same partition: ordering per site holds.
    const partitionsOfKey = new Set(seen.filter((r) => r.key === 'site-3').map((r) => r.partition));
    expect(partitionsOfKey.size).toBe(1);

    const committedBefore = await a.groupOffsets(groupId, topic);
    const endOffsets = await a.topicOffsets(topic);
    for (const p of endOffsets) {
      expect(committedBefore.find((c) => c.partition === p.partition)?.offset).toBe(p.high);
    }

    const stack = testStack();
    await stack.down(['registry', 'kafka']);
    expect((await stack.status()).find((s) => s.name === 'kafka')?.state).toBe('down');
    await stack.up(['kafka', 'registry']);

    const after = testKafka('gridfleet-test-after-restart');
    const admin2 = await after.admin();
    try {
      expect(await admin2.groupOffsets(groupId, topic)).toEqual(committedBefore);
      const reread = await after.readAll(topic);
      expect(reread.map((r) => r.value?.toString()).sort()).toEqual(messages.map((m) => m.value.toString()).sort());
    } finally {
      await admin2.disconnect();
    }
  });
});
