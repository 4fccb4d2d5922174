/**
 * Every write of the assets service goes through here: typed records in, Avro out, with the
 * bytes written counted per topic (assets_bytes_produced_total, what `stateBytesPerEvent` in the
 * bench divides). Paths that must not wait on each other get a writer each (shard flushes, dead
 * letters).
 *
 * Records published while a send to the same topic is in flight go together in the next send,
 * grouped per partition, so all the shards that flush in one tick share one produce request per
 * topic (48 shards each sending their own, one after another, kept the producer busy for longer
 * than the flush interval at 2,000 sites). A send carries at most MAX_PARTITION_BYTES per
 * partition (the broker refuses a record batch over 1 MiB); the rest goes in the next send. Each
 * publish still learns the offset of its own first record per partition (the snapshot pointer).
 */
import type { AvroCodec } from '../../platform/avro-codec.ts';
import type { TopicValues } from '../../platform/events.ts';
import type { KafkaAdapter, OutgoingMessage, ProducedRecord, Producer } from '../../platform/kafka.ts';
import type { TopicName } from '../../platform/topics.ts';

const MAX_PARTITION_BYTES = 800_000;

export interface AssetsRecord<T extends TopicName> {
  readonly key: string;
  /** null: a tombstone. */
  readonly value: TopicValues[T] | null;
  readonly partition?: number;
}

export interface AssetsWriter {
  /**
   * Resolves once every record is on all in-sync replicas, with the offset of this publish's first
   * record in each partition it wrote to; `to` is the physical topic (prefixed in tests).
   */
  publish<T extends TopicName>(topic: T, records: readonly AssetsRecord<T>[], to: string): Promise<ProducedRecord[]>;
  close(): Promise<void>;
}

interface Pending {
  /** null while its values are still being encoded: sends wait for it, so publishes keep their order. */
  messages: OutgoingMessage[] | null;
  readonly resolve: (r: ProducedRecord[]) => void;
  readonly reject: (e: unknown) => void;
}

const sizeOf = (m: OutgoingMessage): number => Buffer.byteLength(m.key) + (m.value?.length ?? 0);

/** Per topic: one send in flight, the next one gathering what is published meanwhile. */
export const createCoalescingWriter = (producer: Producer, encode: <T extends TopicName>(topic: T, value: TopicValues[T]) => Promise<Buffer>, count: (topic: string, bytes: number) => void): AssetsWriter => {
  const queues = new Map<string, Pending[]>();
  const busy = new Set<string>();
  const idle: Array<() => void> = [];

  const drain = (to: string): void => {
    const queue = queues.get(to) ?? [];
    if (busy.has(to) || queue[0]?.messages == null) {
      if (busy.size === 0) for (const f of idle.splice(0)) f();
      return;
    }
    // Whole publishes, in order, while each partition stays under its byte budget (at least one publish).
    const taken: Pending[] = [];
    const bytes = new Map<number, number>();
    while (queue[0]?.messages != null) {
      const next = queue[0];
      const add = new Map<number, number>();
      for (const m of next.messages ?? []) add.set(m.partition ?? -1, (add.get(m.partition ?? -1) ?? 0) + sizeOf(m));
      if (taken.length > 0 && [...add].some(([p, b]) => (bytes.get(p) ?? 0) + b > MAX_PARTITION_BYTES)) break;
      for (const [p, b] of add) bytes.set(p, (bytes.get(p) ?? 0) + b);
      taken.push(next);
      queue.shift();
    }
    busy.add(to);
    const messages = taken.flatMap((t) => t.messages ?? []);
    count(to, [...bytes.values()].reduce((a, b) => a + b, 0));
    producer.send(to, messages).then(
      (res) => {
        // Offsets of each publish's first record per partition: the partition's base plus the records before it.
        const base = new Map(res.map((r) => [r.partition, BigInt(r.baseOffset)]));
        const seen = new Map<number, bigint>();
        for (const t of taken) {
          const mine = new Map<number, bigint>();
          for (const m of t.messages ?? []) {
            const p = m.partition ?? -1;
            const k = seen.get(p) ?? 0n;
            if (!mine.has(p)) mine.set(p, (base.get(p) ?? -1n) + k);
            seen.set(p, k + 1n);
          }
          t.resolve([...mine].map(([partition, off]) => ({ topic: to, partition, baseOffset: off.toString() })));
        }
      },
      (e: unknown) => {
        for (const t of taken) t.reject(e);
      },
    ).finally(() => {
      busy.delete(to);
      drain(to);
    });
  };

  return {
    async publish(topic, records, to) {
      if (records.length === 0) return [];
      let slot: Pending | undefined;
      const done = new Promise<ProducedRecord[]>((resolve, reject) => {
        slot = { messages: null, resolve, reject };
        const queue = queues.get(to) ?? [];
        queue.push(slot);
        queues.set(to, queue);
      });
      const messages: OutgoingMessage[] = [];
      try {
        for (const r of records) {
          messages.push({ key: r.key, value: r.value === null ? null : await encode(topic, r.value), ...(r.partition === undefined ? {} : { partition: r.partition }) });
        }
      } catch (e) {
        const queue = queues.get(to) ?? [];
        queues.set(to, queue.filter((q) => q !== slot));
        drain(to);
        throw e;
      }
      if (slot !== undefined) slot.messages = messages;
      drain(to);
      return done;
    },
    async close() {
      if (busy.size > 0) await new Promise<void>((r) => idle.push(r));
      await producer.disconnect();
    },
  };
};

export const openAssetsWriter = async (deps: { kafka: KafkaAdapter; codec: AvroCodec; count: (logicalTopic: string, bytes: number) => void }): Promise<AssetsWriter> => {
  const logical = new Map<string, string>();
  const writer = createCoalescingWriter(await deps.kafka.producer(), (topic, value) => deps.codec.encode(topic, value), (to, bytes) => deps.count(logical.get(to) ?? to, bytes));
  return {
    publish(topic, records, to) {
      logical.set(to, topic);
      return writer.publish(topic, records, to);
    },
    close: () => writer.close(),
  };
};
