import { describe, expect, it } from 'vitest';
import type { AvroCodec } from '../../../../services/platform/avro-codec.ts';
import type { Telemetry } from '../../../../services/platform/events.ts';
import type { Producer } from '../../../../services/platform/kafka.ts';
import { createGatewayMetrics } from '../../../../services/operational/gateway/metrics.ts';
import { createTelemetrySink } from '../../../../services/operational/gateway/telemetry-sink.ts';
import { createTopicWriter } from '../../../../services/platform/topic-writer.ts';

// Regression: gridfleet_gateway_pending_frames was never set and always read 0. It now reads the telemetry
// sink's count of frames waiting for Kafka whenever /metrics is scraped.
const codec = { prepare: () => Promise.resolve(), encodeSync: (_t: string, v: Telemetry) => Buffer.from(String(v.seq)) } as unknown as AvroCodec;
const frame = (seq: number): Telemetry => ({
  deviceId: 'd', siteId: 's', seq, measuredAtMs: 0, receivedAtMs: 0, socPct: 1, batteryKw: 0, solarKw: 0, loadKw: 0, gridKw: 0, batteryTempC: 20, mode: 'IDLE', alarms: [], activeCommandId: null,
});
const pendingIn = (text: string): number => Number(/^gridfleet_gateway_pending_frames (\S+)$/m.exec(text)?.[1]);

describe('gateway metrics', () => {
  it('gridfleet_gateway_pending_frames follows the frames waiting for Kafka: queued, in flight, then acknowledged', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const producer: Producer = { send: async () => (await gate, []), disconnect: () => Promise.resolve() };
    const sink = createTelemetrySink({ writer: createTopicWriter({ producer, codec }), maxPending: 1000, maxBatch: 4, lingerMs: 1 });
    const metrics = createGatewayMetrics({ pendingFrames: () => sink.pending() });
    expect(pendingIn(await metrics.registry.metrics())).toBe(0);
    const acks = Array.from({ length: 7 }, (_, i) => sink.submit(frame(i)));
    expect(pendingIn(await metrics.registry.metrics())).toBe(7);
    // Batches go in flight while Kafka holds them: still pending.
    await new Promise((r) => setTimeout(r, 20));
    expect(pendingIn(await metrics.registry.metrics())).toBe(7);
    release();
    await Promise.all(acks);
    expect(pendingIn(await metrics.registry.metrics())).toBe(0);
  });
});
