/**
 * What the gateway does with one frame from an authenticated device, whatever the transport:
 * parse, rate-limit, validate, produce, answer. A rejected frame gets an error frame naming what
 * was wrong, is counted by reason and dead-lettered; nothing about it affects other devices.
 * Everything up to handing a frame to Kafka runs synchronously when the frame arrives (an async
 * function runs until its first await), so checks see frames in arrival order while many frames
 * of one device may wait for Kafka at once: the sequence number is reserved in the replay window
 * at hand-over and released again if Kafka does not take the frame, so its resend gets in.
 */
import type { Clock } from '../../platform/clock.ts';
import type { CommandAck } from '../../platform/events.ts';
import type { DeadLetterSink } from './dead-letter-sink.ts';
import type { DeviceInfo } from './device-directory.ts';
import { parseDeviceFrame, parseDeviceValue, type DeviceFrame, type GatewayFrame, type Rejection } from '../../platform/device-protocol.ts';
import { hasCommand, type DeliveryState } from './delivery-state.ts';
import type { GatewayMetrics } from './metrics.ts';
import { fullBucket, take, type Bucket, type BucketPolicy, type TakeOutcome } from './rate-limit.ts';
import type { TelemetrySink } from './telemetry-sink.ts';
import { validateTelemetry } from './telemetry-validation.ts';
import { isReplay, markAccepted, newReplayWindow, unmark, type ReplayWindow } from './replay-window.ts';

/**
 * A device's rate limit, shared by all its sessions (every socket and the poll API) on this
 * instance: five sockets with one credential get one device's rate, not five.
 */
export interface DeviceLimit {
  bucket: Bucket;
}

export interface Session {
  readonly device: DeviceInfo;
  readonly mode: 'push' | 'poll';
  readonly limit: DeviceLimit;
  /** Set when the device exceeded its rate for too long: the transport closes it. */
  disconnect: boolean;
}

export interface FrameHandlerDeps {
  readonly sink: TelemetrySink;
  readonly deadLetters: DeadLetterSink;
  readonly publishAck: (ack: CommandAck) => Promise<void>;
  readonly delivery: DeliveryState;
  /** Accepted sequence numbers per device (this instance's knowledge). */
  readonly replay: Map<string, ReplayWindow>;
  /** Sequence numbers remembered per device beyond the highest (default 4096). */
  readonly replayWindowSize?: number;
  /** How far a seq may run ahead of max(highest accepted, wall clock ms) (default 600000); see config.ts. */
  readonly maxSeqJump?: number;
  /** Event-time clock (simulated in a simulation). */
  readonly clock: Clock;
  /** Wall clock, for rate limits. */
  readonly wall: Clock;
  readonly skewMs: number;
  readonly maxAgeMs: number;
  readonly maxFrameBytes: number;
  readonly policy: BucketPolicy;
  readonly metrics: GatewayMetrics;
}

export const newDeviceLimit = (policy: BucketPolicy, wallNowMs: number): DeviceLimit => ({ bucket: fullBucket(policy, wallNowMs) });

/** `limit`: the device's shared limit; a fresh one when the caller keeps none. */
export const newSession = (device: DeviceInfo, mode: 'push' | 'poll', policy: BucketPolicy, wallNowMs: number, limit: DeviceLimit = newDeviceLimit(policy, wallNowMs)): Session => ({
  device, mode, limit, disconnect: false,
});

/**
 * Whether seq runs too far ahead: beyond the device's highest accepted seq (this instance's
 * knowledge; -1 when none) or the wall clock in ms, whichever is later, plus the allowed jump.
 * Pure. Guards the assets tier, which keeps the highest seq per device: one frame near 2^53 would
 * otherwise make every later frame of the device a replay there.
 */
export const seqJumpsTooFar = (seq: number, highest: number, wallNowMs: number, maxJump: number): boolean => seq > Math.max(highest, wallNowMs) + maxJump;

export const createFrameHandler = (deps: FrameHandlerDeps) => {
  /** payloadBytes: the size of what was received, when payload is only a prefix of it. */
  const refuse = (s: Session, r: Rejection, payload: Buffer, seq: number | null, payloadBytes = payload.length): GatewayFrame => {
    deps.metrics.rejects.inc({ code: r.code });
    deps.metrics.frames.inc({ kind: 'any', result: 'rejected' });
    deps.deadLetters.write({
      source: `gateway.${s.mode}`, errorCode: r.code, reason: r.message, originTopic: null, originPartition: null,
      originOffset: null, originKey: s.device.deviceId, payload, payloadBytes, rejectedAtMs: deps.clock.now(),
    });
    return { type: 'error', code: r.code, message: r.message, seq };
  };

  /** Every frame costs the device a token of its rate limit; a device over it for too long is marked for disconnection. */
  const spendToken = (s: Session): TakeOutcome => {
    const limited = take(s.limit.bucket, deps.policy, deps.wall.now());
    s.limit.bucket = limited.bucket;
    if (limited.outcome === 'disconnect') s.disconnect = true;
    return limited.outcome;
  };

  /**
   * A frame refused before it could be parsed still costs the device a token: a device flooding
   * oversized or malformed frames is throttled, then disconnected, like any other flood. The answer
   * stays the reason the frame was refused.
   */
  const refuseUnparsed = (s: Session, r: Rejection, payload: Buffer, payloadBytes: number): GatewayFrame => {
    spendToken(s);
    return refuse(s, r, payload, null, payloadBytes);
  };

  const oversized = (bytes: number): Rejection => ({ code: 'OVERSIZED', message: `frame is ${bytes} bytes; the limit is ${deps.maxFrameBytes}` });

  const handleFrame = async (s: Session, frame: DeviceFrame, raw: Buffer): Promise<GatewayFrame | null> => {
    const outcome = spendToken(s);
    const seqOf = frame.type === 'telemetry' ? frame.seq : null;
    const ackOf = frame.type === 'ack' ? { ack: { commandId: frame.commandId, status: frame.status } } : {};
    if (outcome !== 'pass') {
      return { ...refuse(s, { code: 'THROTTLED', message: `more than ${deps.policy.ratePerSec} frames/s (burst ${deps.policy.burst}); slow down` }, raw, seqOf), ...ackOf };
    }
    switch (frame.type) {
      case 'ping':
        return { type: 'pong', serverTimeMs: deps.clock.now() };
      case 'ack': {
        if (!hasCommand(deps.delivery, s.device.siteId, frame.commandId)) {
          return { ...refuse(s, { code: 'FORBIDDEN', message: `command ${frame.commandId} was not sent to site ${s.device.siteId}` }, raw, null), ...ackOf };
        }
        try {
          await deps.publishAck({ ...frame, siteId: s.device.siteId, deviceId: s.device.deviceId });
          deps.metrics.frames.inc({ kind: 'ack', result: 'accepted' });
          return null;
        } catch (e) {
          return { type: 'error', code: 'UNAVAILABLE', message: `ack not stored, resend: ${e instanceof Error ? e.message : String(e)}`, seq: null, ...ackOf };
        }
      }
      case 'telemetry': {
        let window = deps.replay.get(s.device.deviceId);
        if (window === undefined) {
          window = newReplayWindow();
          deps.replay.set(s.device.deviceId, window);
        }
        const w = window;
        const checked = validateTelemetry(frame, {
          device: s.device, nowMs: deps.clock.now(), skewMs: deps.skewMs, maxAgeMs: deps.maxAgeMs, isReplay: (seq) => isReplay(w, seq),
        });
        if (!checked.ok) return refuse(s, checked.error, raw, frame.seq);
        const maxJump = deps.maxSeqJump ?? 600_000;
        if (seqJumpsTooFar(frame.seq, w.highest, deps.wall.now(), maxJump)) {
          return refuse(s, { code: 'SEQ_JUMP', message: `seq ${frame.seq} is more than ${maxJump} ahead of both the device's highest accepted seq (${w.highest}) and the gateway clock in ms` }, raw, frame.seq);
        }
        markAccepted(w, frame.seq, deps.replayWindowSize ?? 4096);
        try {
          await deps.sink.submit(checked.value);
        } catch (e) {
          // Not the device's fault: nothing is dead-lettered; the device keeps the frame and resends it.
          unmark(w, frame.seq);
          deps.metrics.frames.inc({ kind: 'telemetry', result: 'unavailable' });
          return { type: 'error', code: 'UNAVAILABLE', message: `not stored, resend later: ${e instanceof Error ? e.message : String(e)}`, seq: frame.seq };
        }
        deps.metrics.frames.inc({ kind: 'telemetry', result: 'accepted' });
        return { type: 'telemetry.accepted', seq: frame.seq };
      }
    }
  };

  return {
    /**
     * A WebSocket message as received. One above the frame limit is refused by its size before
     * it is decoded; the dead letter keeps its first bytes and its real size.
     */
    async handleMessage(s: Session, data: Buffer, isBinary: boolean): Promise<GatewayFrame | null> {
      if (data.length > deps.maxFrameBytes) return refuseUnparsed(s, oversized(data.length), data, data.length);
      if (isBinary) return refuseUnparsed(s, { code: 'MALFORMED', message: 'binary message: frames are JSON text' }, data, data.length);
      const parsed = parseDeviceFrame(data.toString('utf8'), deps.maxFrameBytes);
      if (!parsed.ok) return refuseUnparsed(s, parsed.error, data, data.length);
      return handleFrame(s, parsed.value, data);
    },
    /** One element of an HTTP poll-mode body (already size-checked as a whole). */
    async handleValue(s: Session, value: unknown): Promise<GatewayFrame | null> {
      const raw = Buffer.from(JSON.stringify(value) ?? 'undefined');
      if (raw.length > deps.maxFrameBytes) return refuseUnparsed(s, oversized(raw.length), raw, raw.length);
      const parsed = parseDeviceValue(value);
      if (!parsed.ok) return refuseUnparsed(s, parsed.error, raw, raw.length);
      return handleFrame(s, parsed.value, raw);
    },
    /**
     * Counts and dead-letters a message the transport could not read at all (a WebSocket
     * message above the hard cap: nothing of it was kept). No answer: the transport closes.
     */
    recordUnreadable(s: Session, r: Rejection, payloadBytes: number): void {
      refuse(s, r, Buffer.alloc(0), null, payloadBytes);
    },
  };
};

export type FrameHandler = ReturnType<typeof createFrameHandler>;
