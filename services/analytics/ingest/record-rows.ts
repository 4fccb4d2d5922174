/**
 * One Kafka record to RowBinary bytes in a partition's ByteSink, or to a dead-letter draft: decode
 * (Avro, through the codec passed in), map (pure, row-mapping.ts), encode (pure, row-binary.ts).
 * A record that fails any step leaves the sink as it was.
 */
import type { IncomingRecord } from '../../platform/kafka.ts';
import type { TopicName } from '../../platform/topics.ts';
import type { Addition } from './batcher.ts';
import type { AvroCodec } from '../../platform/avro-codec.ts';
import { compileRowEncoder, type ByteSink, type RowEncoder } from './row-binary.ts';
import { mappingOf, type TableMapping } from './row-mapping.ts';
import type { RowIdentity } from './telemetry-dedup.ts';

export const DeadLetterCodes = { undecodable: 'UNDECODABLE', unmappable: 'UNMAPPABLE' } as const;

export interface TopicWriter {
  readonly topic: TopicName;
  readonly mapping: TableMapping<TopicName>;
  readonly encode: RowEncoder;
}

export const topicWriter = (topic: TopicName): TopicWriter => {
  const mapping: TableMapping<TopicName> = mappingOf<TopicName>(topic);
  return { topic, mapping, encode: compileRowEncoder(mapping.columns) };
};

type Decoded = Awaited<ReturnType<AvroCodec['decode']>>;

/**
 * Synchronous when the record's schema is already known (the common case: no promise per record),
 * a promise otherwise.
 */
export const recordToRows = (decoder: Pick<AvroCodec, 'decode'>, w: TopicWriter, r: IncomingRecord, sink: ByteSink): Addition | Promise<Addition> => {
  if (r.value === null) return toRows(w, r, null, sink);
  const decoded = decoder.decode(w.topic, r.value);
  return decoded instanceof Promise ? decoded.then((d) => toRows(w, r, d, sink)) : toRows(w, r, decoded, sink);
};

const toRows = (w: TopicWriter, r: IncomingRecord, decoded: Decoded | null, sink: ByteSink): Addition => {
  const offset = Number(r.offset);
  const dead = (errorCode: string, reason: string): Addition => ({
    offset, rows: 0, bytes: 0, deadLetter: { offset, key: r.key, errorCode, reason, payload: r.value },
  });
  if (decoded !== null && !decoded.ok) return dead(DeadLetterCodes.undecodable, decoded.error);
  const value = decoded === null ? null : decoded.value;
  const mapped = w.mapping.toRows(value, { key: r.key, partition: r.partition, offset, timestampMs: r.timestampMs });
  if (!mapped.ok) return dead(DeadLetterCodes.unmappable, mapped.error);
  const start = sink.length;
  const identity = w.mapping.identity;
  const identities: RowIdentity[] = [];
  try {
    for (const row of mapped.value) {
      const at = sink.length;
      w.encode(sink, row);
      if (identity !== undefined) identities.push({ ...identity(row), start: at, end: sink.length });
    }
  } catch (e) {
    sink.truncate(start);
    return dead(DeadLetterCodes.unmappable, `${w.topic}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const added = { offset, rows: mapped.value.length, bytes: sink.length - start, deadLetter: null };
  return identity === undefined ? added : { ...added, identities };
};
