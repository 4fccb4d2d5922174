/**
 * The unacknowledged telemetry a device keeps, shared by the push and poll clients: bounded (the
 * oldest frame goes first when it is full, and the caller counts it) and watchable until empty.
 */
import type { TelemetryFrame } from '../../platform/device-protocol.ts';

export type TelemetryBuffer = Map<number, TelemetryFrame>;

/** Adds a frame; returns how many of the oldest had to be dropped to stay within max. */
export const bufferFrame = (buffer: TelemetryBuffer, frame: TelemetryFrame, max: number): number => {
  buffer.set(frame.seq, frame);
  let dropped = 0;
  // Frames are added in sequence order, so the first key is the oldest.
  for (const seq of buffer.keys()) {
    if (buffer.size <= max) break;
    buffer.delete(seq);
    dropped++;
  }
  return dropped;
};

/** Resolves true once the buffer is empty, false when timeoutMs passes first. */
export const bufferEmptied = async (buffer: TelemetryBuffer, timeoutMs: number): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs;
  while (buffer.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return buffer.size === 0;
};
