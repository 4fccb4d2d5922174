/**
 * Telemetry to Kafka: frames from all devices are gathered into batches (up to maxBatch, or
 * after lingerMs) and produced to telemetry.v1 keyed by site with acks=-1; each frame's promise
 * resolves only when Kafka has it, which is when the device gets its acknowledgement. The count of
 * frames waiting is bounded: past maxPending the gateway is told to stop reading (backpressure)
 * and to resume below half of it.
 */
import type { Telemetry } from '../../platform/events.ts';
import type { TopicWriter } from '../../platform/topic-writer.ts';
import { TopicNames } from '../../platform/topics.ts';

interface Waiting {
  readonly value: Telemetry;
  readonly startedMs: number;
  resolve(): void;
  reject(e: unknown): void;
}

export interface TelemetrySink {
  submit(value: Telemetry): Promise<void>;
  pending(): number;
  onPressure(listener: (paused: boolean) => void): void;
  /** Sends what is queued and waits for every send in flight. */
  drain(): Promise<void>;
}

export const createTelemetrySink = (opts: {
  /** The gateway's telemetry writer, shared with nothing else (acks and dead letters have their own). */
  writer: TopicWriter;
  maxBatch?: number;
  lingerMs?: number;
  maxInFlight?: number;
  maxPending: number;
  observeLatencySec?: (sec: number) => void;
  now?: () => number;
}): TelemetrySink => {
  const maxBatch = opts.maxBatch ?? 1000;
  const lingerMs = opts.lingerMs ?? 5;
  // The writer gathers what is published while its lanes are busy into their next requests, so
  // several batches may wait on it at once without costing round trips.
  const maxInFlight = opts.maxInFlight ?? 8;
  const now = opts.now ?? (() => performance.now());
  let queue: Waiting[] = [];
  let inFlight = 0;
  let inFlightFrames = 0;
  let timer: NodeJS.Timeout | undefined;
  let paused = false;
  const listeners: Array<(p: boolean) => void> = [];
  const sends = new Set<Promise<void>>();

  const pending = (): number => queue.length + inFlightFrames;
  const pressure = (): void => {
    const n = pending();
    const next = paused ? n > opts.maxPending / 2 : n >= opts.maxPending;
    if (next !== paused) {
      paused = next;
      for (const l of listeners) l(paused);
    }
  };

  const sendBatch = async (batch: Waiting[]): Promise<void> => {
    inFlight++;
    inFlightFrames += batch.length;
    try {
      await opts.writer.publish(TopicNames.telemetry, batch.map((w) => ({ key: w.value.siteId, value: w.value })));
      const t = now();
      for (const w of batch) {
        opts.observeLatencySec?.((t - w.startedMs) / 1000);
        w.resolve();
      }
    } catch (e) {
      for (const w of batch) w.reject(e);
    } finally {
      inFlight--;
      inFlightFrames -= batch.length;
      pressure();
      pump();
    }
  };

  const pump = (): void => {
    while (queue.length > 0 && inFlight < maxInFlight && (queue.length >= maxBatch || timer === undefined)) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      const p = sendBatch(batch);
      sends.add(p);
      void p.finally(() => sends.delete(p));
      if (queue.length < maxBatch) break;
    }
    if (queue.length > 0 && timer === undefined) {
      timer = setTimeout(() => {
        timer = undefined;
        pump();
      }, lingerMs);
    }
  };

  return {
    submit: (value) =>
      new Promise<void>((resolve, reject) => {
        queue.push({ value, startedMs: now(), resolve, reject });
        pressure();
        if (queue.length >= maxBatch) pump();
        else if (timer === undefined) {
          timer = setTimeout(() => {
            timer = undefined;
            pump();
          }, lingerMs);
        }
      }),
    pending,
    onPressure: (l) => {
      listeners.push(l);
    },
    async drain() {
      if (timer !== undefined) {
        clearTimeout(timer);
        timer = undefined;
      }
      pump();
      while (sends.size > 0 || queue.length > 0) {
        await Promise.allSettled([...sends]);
        pump();
      }
    },
  };
};
