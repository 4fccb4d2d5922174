/**
 * Every write of the assets service goes through here: typed records in, Avro out, with the
 * bytes written counted per topic (assets_bytes_produced_total, what `stateBytesPerEvent` in the
 * bench divides). One module so the send path can follow the platform's writer without touching
 * the shell. Paths that must not wait on each other get a writer each (shard flushes, dead letters).
 */
import type { AvroCodec } from '../../platform/avro-codec.ts';
import type { TopicValues } from '../../platform/events.ts';
import type { KafkaAdapter, OutgoingMessage, ProducedRecord, Producer } from '../../platform/kafka.ts';
import type { TopicName } from '../../platform/topics.ts';

export interface AssetsRecord<T extends TopicName> {
  readonly key: string;
  /** null: a tombstone. */
  readonly value: TopicValues[T] | null;
  readonly partition?: number;
}

export interface AssetsWriter {
  /** Resolves once every record is on all in-sync replicas; `to` is the physical topic (prefixed in tests). */
  publish<T extends TopicName>(topic: T, records: readonly AssetsRecord<T>[], to: string): Promise<ProducedRecord[]>;
  close(): Promise<void>;
}

/** Counts what goes out (keys and values), then sends. */
const counting = (inner: Producer, count: (topic: string, bytes: number) => void): Producer => ({
  send(topic, messages) {
    let bytes = 0;
    for (const m of messages) bytes += Buffer.byteLength(m.key) + (m.value?.length ?? 0);
    count(topic, bytes);
    return inner.send(topic, messages);
  },
  disconnect: () => inner.disconnect(),
});

export const openAssetsWriter = async (deps: { kafka: KafkaAdapter; codec: AvroCodec; count: (logicalTopic: string, bytes: number) => void }): Promise<AssetsWriter> => {
  const logical = new Map<string, string>();
  const producer = counting(await deps.kafka.producer(), (to, bytes) => deps.count(logical.get(to) ?? to, bytes));
  return {
    async publish(topic, records, to) {
      if (records.length === 0) return [];
      logical.set(to, topic);
      const messages: OutgoingMessage[] = [];
      for (const r of records) {
        messages.push({
          key: r.key,
          value: r.value === null ? null : await deps.codec.encode(topic, r.value),
          ...(r.partition === undefined ? {} : { partition: r.partition }),
        });
      }
      return producer.send(to, messages);
    },
    close: () => producer.disconnect(),
  };
};
