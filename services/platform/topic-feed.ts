/**
 * Following a topic into a service's own read model: a consumer group of this instance alone
 * (every instance needs every record, e.g. any device may connect to any gateway), read from the
 * beginning, no commits. `caughtUp` resolves once the feed has reached the end the topic had when
 * it started, so a service can open only when its model is complete. Used by the gateway (device
 * directory, commands, forecasts) and control (registry, asset states, events, commands, acks).
 */
import { randomUUID } from 'node:crypto';
import type { AvroCodec } from './avro-codec.ts';
import type { TopicValues } from './events.ts';
import type { Consumer, KafkaAdapter } from './kafka.ts';
import type { Logger } from './logger.ts';
import type { TopicName } from './topics.ts';

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
  /** Default: a warning in the log; the feed moves on either way. */
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
          else if (opts.onUndecodable) opts.onUndecodable(d.error, r.partition, r.offset, r.value);
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
