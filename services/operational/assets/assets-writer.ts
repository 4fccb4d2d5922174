/**
 * Every write of the assets service goes through the typed topic writer
 * (platform/topic-writer.ts), with the bytes written counted per topic
 * (gridfleet_assets_produced_bytes_total, what `stateBytesPerEvent` in the bench divides). Paths that must
 * not wait on each other get a writer each (partials, site shards' views, parent shards' views,
 * dead letters, snapshots).
 *
 * What this path needs of the writer, and where the writer does it (kafka-producer.ts):
 * - records published while a request is in flight go together in the next one, grouped per
 *   partition, so all the shards that flush in one tick share one produce request (48 shards
 *   each sending their own, one after another, kept the producer busy for longer than the flush
 *   interval at 2,000 sites);
 * - a request stays under 1 MiB (the broker refuses a record batch over max.message.bytes); the
 *   rest goes in the next request of the same lane, in order;
 * - each publish learns the offset of its own first record per partition (the snapshot pointer).
 */
import type { AvroCodec } from '../../platform/avro-codec.ts';
import type { KafkaAdapter, ProducedRecord } from '../../platform/kafka.ts';
import { openTopicWriter, type TopicRecord } from '../../platform/topic-writer.ts';
import type { TopicName } from '../../platform/topics.ts';

export type AssetsRecord<T extends TopicName> = Pick<TopicRecord<T>, 'key' | 'value' | 'partition'>;

export interface AssetsWriter {
  /**
   * Resolves once every record is on all in-sync replicas, with the offset of this publish's first
   * record in each partition it wrote to; `to` is the physical topic (prefixed in tests).
   */
  publish<T extends TopicName>(topic: T, records: readonly AssetsRecord<T>[], to: string): Promise<ProducedRecord[]>;
  close(): Promise<void>;
}

/** The producer's default lanes: records of one partition land in publish order, as the shards need. */
export const openAssetsWriter = async (deps: { kafka: KafkaAdapter; codec: AvroCodec; count: (logicalTopic: string, bytes: number) => void }): Promise<AssetsWriter> => {
  const writer = await openTopicWriter({ kafka: deps.kafka, codec: deps.codec, countBytes: deps.count });
  return {
    publish: (topic, records, to) => writer.publish(topic, records, { to }),
    close: () => writer.close(),
  };
};
