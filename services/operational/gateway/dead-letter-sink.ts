/**
 * Rejected input to dead.letters.v1, off the device's path: records are queued (bounded) and
 * produced in the background, so a flood of bad frames never slows good ones. What the queue
 * cannot hold is counted as dropped (the rejection itself is always counted and answered).
 */
import type { DeadLetter } from '../../platform/events.ts';
import type { Logger } from '../../platform/logger.ts';
import type { TopicWriter } from '../../platform/topic-writer.ts';
import { TopicNames } from '../../platform/topics.ts';

export const PAYLOAD_LIMIT_BYTES = 2048;

export interface DeadLetterSink {
  /**
   * payload: what was received (only its first PAYLOAD_LIMIT_BYTES are copied and kept);
   * payloadBytes: the size of the original when payload is already a prefix of it (default: payload's size).
   */
  write(letter: Omit<DeadLetter, 'payload' | 'payloadBytes' | 'service'> & { payload: Buffer; payloadBytes?: number }): void;
  drain(): Promise<void>;
}

export const createDeadLetterSink = (opts: {
  /** A writer of its own: a flood of dead letters never queues ahead of telemetry or acks. */
  writer: TopicWriter;
  service: string;
  logger: Logger;
  maxQueued?: number;
  count: (result: 'written' | 'dropped' | 'failed', n: number) => void;
}): DeadLetterSink => {
  const maxQueued = opts.maxQueued ?? 10_000;
  let queue: DeadLetter[] = [];
  let running: Promise<void> | undefined;

  const flush = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue.slice(0, 500);
      queue = queue.slice(batch.length);
      try {
        await opts.writer.publish(TopicNames.deadLetters, batch.map((d) => ({ key: d.source, value: d })));
        opts.count('written', batch.length);
      } catch (e) {
        opts.count('failed', batch.length);
        opts.logger.warn('dead letters could not be written', { error: e instanceof Error ? e.message : String(e), count: batch.length });
      }
    }
  };

  return {
    write(letter) {
      if (queue.length >= maxQueued) {
        opts.count('dropped', 1);
        return;
      }
      const { payload, payloadBytes, ...rest } = letter;
      queue.push({
        ...rest,
        service: opts.service,
        // A copy, not a view: a queued letter must not keep a large rejected message alive.
        payload: Buffer.from(payload.subarray(0, PAYLOAD_LIMIT_BYTES)),
        payloadBytes: payloadBytes ?? payload.length,
      });
      running ??= flush().finally(() => {
        running = undefined;
      });
    },
    async drain() {
      while (running !== undefined) await running;
    },
  };
};
