/**
 * Avro decoding for the ingest hot path: synchronous once a (topic, schema id) pair has been seen.
 *
 * The platform codec decodes asynchronously (it may have to fetch a writer schema), which costs a
 * few promises and a microtask hop per record. Ingest decodes every record of every topic, so it
 * keeps each pair's resolver here and decodes in place; the first record of a pair, and any record
 * whose header is not the Confluent wire format, goes through the codec as before (same results,
 * same error texts), and warms the cache for the next ones.
 */
import type avro from 'avsc';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { AvroCodec } from '../../platform/avro-codec.ts';
import type { TopicValues } from '../../platform/events.ts';
import { err, ok, type Result } from '../../platform/result.ts';
import { readSchemaJson, typeOf } from '../../platform/schemas.ts';
import type { TopicName } from '../../platform/topics.ts';

const HEADER_BYTES = 5;

export interface RecordDecoder {
  /** A Result at once when the record's schema is known, else a promise of one. */
  decode<T extends TopicName>(topic: T, bytes: Buffer): Result<TopicValues[T], string> | Promise<Result<TopicValues[T], string>>;
}

interface Known {
  readonly reader: avro.Type;
  readonly resolver: avro.Resolver;
}

export const createRecordDecoder = (codec: AvroCodec, registry: SchemaRegistry, schemasDir?: string): RecordDecoder => {
  const known = new Map<string, Known>();
  const warming = new Set<string>();
  const readers = new Map<string, avro.Type>();

  const warm = (topic: string, id: number, key: string): void => {
    if (warming.has(key)) return;
    warming.add(key);
    registry
      .getSchema(id)
      .then((schema) => {
        let reader = readers.get(topic);
        if (reader === undefined) {
          reader = typeOf(readSchemaJson(topic, schemasDir));
          readers.set(topic, reader);
        }
        const writer = typeOf((schema as unknown as avro.Type).schema());
        known.set(key, { reader, resolver: reader.createResolver(writer) });
      })
      // The codec path keeps working (and reports the problem per record); try again later.
      .catch(() => undefined)
      .finally(() => warming.delete(key));
  };

  return {
    decode<T extends TopicName>(topic: T, bytes: Buffer) {
      if (bytes.length < HEADER_BYTES || bytes.readUInt8(0) !== 0) return codec.decode(topic, bytes);
      const id = bytes.readInt32BE(1);
      const key = `${topic}\u0000${id}`;
      const k = known.get(key);
      if (k === undefined) {
        return codec.decode(topic, bytes).then((r) => {
          if (r.ok) warm(topic, id, key);
          return r;
        });
      }
      try {
        return ok(k.reader.fromBuffer(bytes.subarray(HEADER_BYTES), k.resolver) as TopicValues[T]);
      } catch (e) {
        return err(`${topic}: Avro body does not match schema id ${id}: ${e instanceof Error ? e.message : String(e)}`);
      }
    },
  };
};
