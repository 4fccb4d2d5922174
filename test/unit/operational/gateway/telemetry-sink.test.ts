import { describe, expect, it } from 'vitest';
import type { AvroCodec } from '../../../../services/platform/avro-codec.ts';
import type { Telemetry } from '../../../../services/platform/events.ts';
import type { OutgoingMessage, Producer, ProducedRecord } from '../../../../services/platform/kafka.ts';
import { createTelemetrySink } from '../../../../services/operational/gateway/telemetry-sink.ts';
import { createTopicWriter } from '../../../../services/platform/topic-writer.ts';

// The sink's own logic (batching, backpressure, failure) against a producer we can hold back;
// the real Kafka path is covered by the gateway integration tests.
const codec = { prepare: () => Promise.resolve(), encodeSync: (_t: string, v: Telemetry) => Buffer.from(String(v.seq)) } as unknown as AvroCodec;
const frame = (seq: number): Telemetry => ({
  deviceId: 'd', siteId: 's', seq, measuredAtMs: 0, receivedAtMs: 0, socPct: 1, batteryKw: 0, solarKw: 0, loadKw: 0, gridKw: 0, batteryTempC: 20, mode: 'IDLE', alarms: [], activeCommandId: null,
});

const gatedProducer = () => {
  const sent: OutgoingMessage[][] = [];
  let release: () => void = () => undefined;
  let gate = new Promise<void>((r) => (release = r));
  let fail = false;
  const producer: Producer = {
    async send(_topic, messages): Promise<ProducedRecord[]> {
      await gate;
      if (fail) throw new Error('broker down');
      sent.push([...messages]);
      return [];
    },
    disconnect: () => Promise.resolve(),
  };
  return {
    producer, sent,
    open: () => release(),
    close: () => {
      gate = new Promise<void>((r) => (release = r));
    },
    failing: (f: boolean) => {
      fail = f;
    },
  };
};

describe('telemetry sink', () => {
  it('stops reading at maxPending, resumes at half, and acknowledges every frame once Kafka has it', async () => {
    const p = gatedProducer();
    const sink = createTelemetrySink({ writer: createTopicWriter({ producer: p.producer, codec }), maxPending: 100, maxBatch: 10, lingerMs: 1, maxInFlight: 2 });
    const pressure: boolean[] = [];
    sink.onPressure((paused) => pressure.push(paused));
    const acks = Array.from({ length: 150 }, (_, i) => sink.submit(frame(i)));
    expect(pressure).toEqual([true]);
    expect(sink.pending()).toBe(150);
    p.open();
    await Promise.all(acks);
    expect(pressure).toEqual([true, false]);
    expect(sink.pending()).toBe(0);
    expect(p.sent.flat().map((m) => Number(m.value?.toString())).sort((a, b) => a - b)).toEqual(Array.from({ length: 150 }, (_, i) => i));
  });

  it('rejects frames Kafka did not take, so the device keeps and resends them', async () => {
    const p = gatedProducer();
    p.failing(true);
    p.open();
    const sink = createTelemetrySink({ writer: createTopicWriter({ producer: p.producer, codec }), maxPending: 100, lingerMs: 1 });
    await expect(sink.submit(frame(1))).rejects.toThrow(/broker down/);
    expect(sink.pending()).toBe(0);
  });
});
