import { describe, expect, it } from 'vitest';
import type { AvroCodec } from '../../../../services/platform/avro-codec.ts';
import type { DeadLetter, Telemetry } from '../../../../services/platform/events.ts';
import type { Producer } from '../../../../services/platform/kafka.ts';
import { createLogger } from '../../../../services/platform/logger.ts';
import { createDeadLetterSink, PAYLOAD_LIMIT_BYTES } from '../../../../services/operational/gateway/dead-letter-sink.ts';
import { emptyDeliveryState } from '../../../../services/operational/gateway/delivery-state.ts';
import type { DeviceInfo } from '../../../../services/operational/gateway/device-directory.ts';
import { createFrameHandler, newSession } from '../../../../services/operational/gateway/frame-handler.ts';
import { createGatewayMetrics } from '../../../../services/operational/gateway/metrics.ts';
import type { TelemetrySink } from '../../../../services/operational/gateway/telemetry-sink.ts';
import { createTopicWriter } from '../../../../services/platform/topic-writer.ts';

// The frame handler with the real dead-letter sink and metrics, and Kafka replaced by recorders:
// what a device gets back, what is counted and what is dead-lettered, for oversized input.
const NOW = Date.UTC(2026, 0, 10, 12);
const MAX_FRAME = 4096;
const device: DeviceInfo = { deviceId: 'dev-1', siteId: 'site-1', maxChargeKw: 5, maxDischargeKw: 5, solarKwp: 6, revokedBeforeMs: null };
const telemetry = (seq: number, extra: Record<string, unknown> = {}) => ({
  type: 'telemetry', seq, measuredAtMs: NOW, socPct: 50, batteryKw: 1, solarKw: 2, loadKw: 3, gridKw: 0, batteryTempC: 25,
  mode: 'SELF_CONSUMPTION', alarms: [], activeCommandId: null, ...extra,
});
const bytes = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

const setup = (policy = { ratePerSec: 10, burst: 200, strikesToDisconnect: 50 }) => {
  const stored: Telemetry[] = [];
  const letters: DeadLetter[] = [];
  const sink: TelemetrySink = {
    submit: (t) => {
      stored.push(t);
      return Promise.resolve();
    },
    pending: () => 0,
    onPressure: () => undefined,
    drain: () => Promise.resolve(),
  };
  const producer: Producer = { send: () => Promise.resolve([]), disconnect: () => Promise.resolve() };
  const codec = { prepare: () => Promise.resolve(), encodeSync: (_t: string, d: DeadLetter) => (letters.push(d), Buffer.alloc(0)) } as unknown as AvroCodec;
  const deadLetters = createDeadLetterSink({ writer: createTopicWriter({ producer, codec }), service: 'gateway', logger: createLogger('silent'), count: () => undefined });
  const metrics = createGatewayMetrics({ pendingFrames: () => 0 });
  const clock = { now: () => NOW };
  const handler = createFrameHandler({
    sink, deadLetters, metrics, delivery: emptyDeliveryState(), replay: new Map(), clock, wall: clock,
    skewMs: 300_000, maxAgeMs: 86_400_000, maxFrameBytes: MAX_FRAME, policy, publishAck: () => Promise.resolve(),
  });
  return { handler, stored, letters, deadLetters, metrics, session: newSession(device, 'push', policy, NOW) };
};

const rejects = async (metrics: ReturnType<typeof createGatewayMetrics>, code: string): Promise<number> =>
  (await metrics.rejects.get()).values.find((v) => v.labels.code === code)?.value ?? 0;

describe('frame handler: oversized WebSocket messages', () => {
  it('refuses a 200 KiB message with its size and the limit, counts and dead-letters it truncated, and takes the next good frame', async () => {
    const { handler, stored, letters, deadLetters, metrics, session } = setup();
    const big = bytes(telemetry(1, { pad: 'x'.repeat(200 * 1024) }));
    const reply = await handler.handleMessage(session, big, false);
    expect(reply).toEqual({ type: 'error', code: 'OVERSIZED', message: `frame is ${big.length} bytes; the limit is ${MAX_FRAME}`, seq: null });
    expect(await rejects(metrics, 'OVERSIZED')).toBe(1);
    expect(await handler.handleMessage(session, bytes(telemetry(2)), false)).toEqual({ type: 'telemetry.accepted', seq: 2 });
    expect(stored.map((t) => t.seq)).toEqual([2]);
    expect(session.disconnect).toBe(false);
    await deadLetters.drain();
    expect(letters).toHaveLength(1);
    const letter = letters[0];
    expect(letter).toMatchObject({ errorCode: 'OVERSIZED', originKey: 'dev-1', source: 'gateway.push', payloadBytes: big.length });
    expect(letter?.payload.length).toBe(PAYLOAD_LIMIT_BYTES);
    expect(letter?.payload.equals(big.subarray(0, PAYLOAD_LIMIT_BYTES))).toBe(true);
    // A copy, so the queued letter does not keep the 200 KiB message alive.
    expect(letter?.payload.buffer).not.toBe(big.buffer);
  });

  it('a message just over the limit is refused; one exactly at the limit is parsed', async () => {
    const { handler, session } = setup();
    const base = bytes(telemetry(3, { pad: '' }));
    const atLimit = bytes(telemetry(3, { pad: 'y'.repeat(MAX_FRAME - base.length) }));
    expect(atLimit.length).toBe(MAX_FRAME);
    expect(await handler.handleMessage(session, atLimit, false)).toEqual({ type: 'telemetry.accepted', seq: 3 });
    const over = bytes(telemetry(4, { pad: 'y'.repeat(MAX_FRAME - base.length + 1) }));
    expect(await handler.handleMessage(session, over, false)).toMatchObject({ type: 'error', code: 'OVERSIZED' });
  });

  it('a device flooding oversized messages is throttled and then marked for disconnect, like any flood', async () => {
    const { handler, session } = setup({ ratePerSec: 1, burst: 5, strikesToDisconnect: 3 });
    const big = bytes(telemetry(1, { pad: 'z'.repeat(10_000) }));
    const replies = [];
    // Burst 5 passes, then strikes 1 and 2 throttle, strike 3 disconnects.
    for (let i = 0; i < 7; i++) replies.push(await handler.handleMessage(session, big, false));
    expect(session.disconnect).toBe(false);
    replies.push(await handler.handleMessage(session, big, false));
    expect(replies.every((r) => r?.type === 'error' && r.code === 'OVERSIZED')).toBe(true);
    expect(session.disconnect).toBe(true);
  });

  it('names a binary message as malformed and dead-letters its bytes', async () => {
    const { handler, letters, deadLetters, session } = setup();
    expect(await handler.handleMessage(session, Buffer.from([1, 2, 3]), true)).toMatchObject({ type: 'error', code: 'MALFORMED', message: expect.stringMatching(/binary/) as unknown });
    await deadLetters.drain();
    expect(letters[0]).toMatchObject({ errorCode: 'MALFORMED', payloadBytes: 3 });
  });

  it('records a message above the WebSocket hard cap (not read) as OVERSIZED and dead-letters it', async () => {
    const { handler, letters, deadLetters, metrics, session } = setup();
    handler.recordUnreadable(session, { code: 'OVERSIZED', message: 'message of more than 1048576 bytes' }, 1_048_577);
    expect(await rejects(metrics, 'OVERSIZED')).toBe(1);
    await deadLetters.drain();
    expect(letters[0]).toMatchObject({ errorCode: 'OVERSIZED', payloadBytes: 1_048_577 });
    expect(letters[0]?.payload.length).toBe(0);
  });
});
