/**
 * The typed topic writer, the write twin of `follow`: every service writes its topics through it.
 *
 * ```ts
 * const writer = await openTopicWriter({ kafka, codec, lanes: 4 });
 * // Values are typed by the topic catalog (TopicValues); keys are plain strings.
 * await writer.publish(TopicNames.telemetry, frames.map((f) => ({ key: f.siteId, value: f })));
 * // A tombstone, an explicit partition, and a test's prefixed topic name (schema of asset.state.v1):
 * await writer.publish(TopicNames.assetState, [{ key: id, value: null, partition: 3 }], { to: `${prefix}asset.state.v1` });
 * await writer.close();
 * ```
 *
 * Contract:
 * - values are encoded synchronously in the Confluent wire format (magic 0, schema id, Avro
 *   body); the topic's schema is registered, and its id cached, on the topic's first publish;
 * - a batch with one invalid value is refused whole (CODEC_FAILED naming each bad field) and
 *   nothing of it is sent;
 * - the promise resolves when every record is on all in-sync replicas (acks=-1, idempotent);
 *   records of one partition land in publish order; several requests are in flight per writer
 *   (its lanes, see kafka-producer.ts), and records published while one is in flight go
 *   together in the next, grouped per partition;
 * - paths that must not wait on each other (telemetry, control records, dead letters) each open
 *   their own writer: a writer's requests queue behind each other, two writers' never do.
 */
import type { AvroCodec } from './avro-codec.ts';
import type { TopicValues } from './events.ts';
import type { KafkaAdapter, OutgoingMessage, ProducedRecord, Producer, ProducerOptions } from './kafka.ts';
import type { TopicName } from './topics.ts';

export interface TopicRecord<T extends TopicName> {
  readonly key: string;
  /** null is a tombstone (compacted topics). */
  readonly value: TopicValues[T] | null;
  readonly partition?: number;
  /** Event time, UTC epoch ms. */
  readonly timestampMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface PublishOptions {
  /** The Kafka topic to write to when it is not the catalog name (tests and benches prefix names). */
  readonly to?: string;
}

export interface TopicWriter {
  publish<T extends TopicName>(topic: T, records: readonly TopicRecord<T>[], opts?: PublishOptions): Promise<ProducedRecord[]>;
  /** Waits for what was published, then closes the producer. */
  close(): Promise<void>;
}

const toMessage = <T extends TopicName>(codec: AvroCodec, topic: T, r: TopicRecord<T>): OutgoingMessage => ({
  key: r.key,
  value: r.value === null ? null : codec.encodeSync(topic, r.value),
  ...(r.partition === undefined ? {} : { partition: r.partition }),
  ...(r.timestampMs === undefined ? {} : { timestampMs: r.timestampMs }),
  ...(r.headers === undefined ? {} : { headers: r.headers }),
});

/** A writer over a producer the caller made (tests hand in one they can hold back). */
export interface WriterOptions {
  /** Told the encoded bytes (keys and values) of each publish, by catalog topic (a bytes-produced metric). */
  readonly countBytes?: (topic: TopicName, bytes: number) => void;
}

export const createTopicWriter = (deps: { readonly producer: Producer; readonly codec: AvroCodec } & WriterOptions): TopicWriter => {
  const prepared = new Set<TopicName>();
  const encodeAll = <T extends TopicName>(topic: T, records: readonly TopicRecord<T>[]): OutgoingMessage[] => {
    const out = new Array<OutgoingMessage>(records.length);
    for (let i = 0; i < records.length; i++) out[i] = toMessage(deps.codec, topic, records[i] as TopicRecord<T>);
    return out;
  };
  return {
    publish: async (topic, records, opts) => {
      if (records.length === 0) return [];
      if (!prepared.has(topic)) {
        await deps.codec.prepare([topic]);
        prepared.add(topic);
      }
      const messages = encodeAll(topic, records);
      if (deps.countBytes !== undefined) {
        let bytes = 0;
        for (const m of messages) bytes += m.key.length + (m.value?.length ?? 0);
        deps.countBytes(topic, bytes);
      }
      return deps.producer.send(opts?.to ?? topic, messages);
    },
    close: () => deps.producer.disconnect(),
  };
};

/** A writer with a producer of its own (lanes, linger: see ProducerOptions). */
export const openTopicWriter = async (deps: { readonly kafka: KafkaAdapter; readonly codec: AvroCodec } & ProducerOptions & WriterOptions): Promise<TopicWriter> => {
  const { kafka, codec, countBytes, ...producerOptions } = deps;
  return createTopicWriter({ producer: await kafka.producer(producerOptions), codec, ...(countBytes === undefined ? {} : { countBytes }) });
};
