/**
 * The one builder of a dead letter for a record that came through Kafka: where it came from, why it
 * was refused, and a prefix of its bytes (payloadBytes says how long it was). Every service that
 * dead-letters a Kafka record builds it here, so the limits are the same everywhere.
 */
import type { DeadLetter } from './events.ts';

/** Bytes of the rejected record kept in the letter, unless a caller keeps less. */
export const DEAD_LETTER_PAYLOAD_BYTES = 64 * 1024;
/** Characters of the reason kept. */
export const DEAD_LETTER_REASON_CHARS = 2_000;

export interface RejectedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly payload: Buffer | null;
}

export const deadLetterOf = (o: {
  readonly service: string;
  readonly source: string;
  readonly errorCode: string;
  readonly reason: string;
  readonly record: RejectedRecord;
  readonly rejectedAtMs: number;
  readonly maxPayloadBytes?: number;
}): DeadLetter => {
  const payload = o.record.payload ?? Buffer.alloc(0);
  return {
    source: o.source, service: o.service, errorCode: o.errorCode, reason: o.reason.slice(0, DEAD_LETTER_REASON_CHARS),
    originTopic: o.record.topic, originPartition: o.record.partition, originOffset: o.record.offset, originKey: o.record.key,
    payload: payload.subarray(0, o.maxPayloadBytes ?? DEAD_LETTER_PAYLOAD_BYTES), payloadBytes: payload.length, rejectedAtMs: o.rejectedAtMs,
  };
};
