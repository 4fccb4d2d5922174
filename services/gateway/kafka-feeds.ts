/**
 * The topics the gateway follows, each with a consumer group of this instance alone (every
 * instance needs every record: any device may connect to any instance): the asset registry (the
 * device directory), commands and forecast bundles. `follow` resolves once the feed has caught up
 * with the end the topic had when it started, so the gateway opens only when it knows its devices.
 */
import { randomUUID } from 'node:crypto';
import type { AvroCodec } from '../platform/avro-codec.ts';
import type { TopicValues } from '../platform/events.ts';
import type { Consumer, KafkaAdapter } from '../platform/kafka.ts';
import type { Logger } from '../platform/logger.ts';
import type { TopicName } from '../platform/topics.ts';

export interface Feed {
  readonly caughtUp: Promise<void>;
  stop(): Promise<void>;
}

export const follow = async <T extends TopicName>(opts: {
  kafka: KafkaAdapter;
  codec: AvroCodec;
  topic: T;
  groupPrefix: string;
  logger: Logger;
  /** key and decoded value (null for a tombstone). */
  onRecord: (key: string | null, value: TopicValues[T] | null) => void;
  onUndecodable?: (reason: string, partition: number, offset: string, payload: Buffer) => void;
}): Promise<Feed> => {
  const admin = await opts.kafka.admin();
  const ends = new Map<number, bigint>();
  try {
    for (const o of await admin.topicOffsets(opts.topic)) if (BigInt(o.high) > BigInt(o.low)) ends.set(o.partition, BigInt(o.high));
  } finally {
    await admin.disconnect();
  }
  let markCaughtUp: () => void = () => undefined;
  const caughtUp = new Promise<void>((r) => (markCaughtUp = r));
  if (ends.size === 0) markCaughtUp();
  const consumer: Consumer = await opts.kafka.consumer({
    groupId: `${opts.groupPrefix}-${opts.topic}-${randomUUID().slice(0, 8)}`,
    topics: [opts.topic],
    fromBeginning: true,
    autoCommit: false,
  });
  void consumer
    .runBatches(async (batch, ctx) => {
      for (const r of batch.records) {
        if (r.value === null) opts.onRecord(r.key, null);
        else {
          const d = await opts.codec.decode(opts.topic, r.value);
          if (d.ok) opts.onRecord(r.key, d.value);
          else opts.onUndecodable?.(d.error, r.partition, r.offset, r.value);
        }
        ctx.resolveOffset(r.offset);
      }
      const last = batch.records.at(-1);
      const end = ends.get(batch.partition);
      if (last !== undefined && end !== undefined && BigInt(last.offset) + 1n >= end) {
        ends.delete(batch.partition);
        if (ends.size === 0) markCaughtUp();
      }
    })
    .catch((e: unknown) => opts.logger.error('feed stopped', { topic: opts.topic, error: e instanceof Error ? e.message : String(e) }));
  return { caughtUp, stop: () => consumer.disconnect() };
};
