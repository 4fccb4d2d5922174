/**
 * The topics control follows, each with a consumer group of this instance alone, read from the
 * beginning: the registry and the asset states (its read model), and grid events, commands and
 * acks (its event book, so a restarted instance knows every event and how it went). `caughtUp`
 * resolves once a feed has reached the end its topic had when it started.
 */
import { randomUUID } from 'node:crypto';
import type { AvroCodec } from '../platform/avro-codec.ts';
import type { TopicValues } from '../platform/events.ts';
import type { KafkaAdapter } from '../platform/kafka.ts';
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
  onRecord: (key: string | null, value: TopicValues[T] | null) => void;
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
  const consumer = await opts.kafka.consumer({ groupId: `${opts.groupPrefix}-${opts.topic}-${randomUUID().slice(0, 8)}`, topics: [opts.topic], fromBeginning: true, autoCommit: false });
  void consumer
    .runBatches(async (batch, ctx) => {
      for (const r of batch.records) {
        if (r.value === null) opts.onRecord(r.key, null);
        else {
          const d = await opts.codec.decode(opts.topic, r.value);
          if (d.ok) opts.onRecord(r.key, d.value);
          else opts.logger.warn('undecodable record skipped', { topic: opts.topic, partition: r.partition, offset: r.offset, error: d.error });
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
