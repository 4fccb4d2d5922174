/**
 * A device's connection to the gateway in push mode (protocol v1, docs/device-protocol.md).
 * Telemetry is kept in a bounded buffer until the gateway acknowledges it (so nothing is lost
 * while offline or while Kafka is slow); on reconnect the device resends what is unacknowledged,
 * after dropping what the gateway says it already has. Reconnects use backoff with jitter; a
 * revoked or refused credential stops the device.
 */
import WebSocket from 'ws';
import type { ForecastBundle, SiteCommand } from '../../platform/events.ts';
import type { AckFrame, GatewayFrame, TelemetryFrame } from '../../platform/device-protocol.ts';
import { backoffMs } from './backoff.ts';
import { bufferEmptied, bufferFrame, type TelemetryBuffer } from './telemetry-buffer.ts';

export interface DeviceClientOptions {
  readonly url: string;
  readonly token: string;
  readonly random: () => number;
  /** Unacknowledged frames kept at most; the oldest are dropped past it (counted). */
  readonly maxBuffer?: number;
  readonly onCommand?: (c: SiteCommand) => void;
  readonly onForecast?: (b: ForecastBundle) => void;
  /** Rejections and connection refusals, for the simulator's counters. */
  readonly onRejected?: (code: string, message: string) => void;
}

export interface DeviceStats {
  connected: boolean;
  sent: number;
  accepted: number;
  rejected: number;
  /** Frames the gateway answered REPLAYED: it had them already. */
  replayed: number;
  dropped: number;
  reconnects: number;
  buffered: number;
  stopped: string | null;
}

export interface DeviceClient {
  sendTelemetry(frame: Omit<TelemetryFrame, 'type'>): void;
  sendAck(ack: Omit<AckFrame, 'type'>): void;
  stats(): DeviceStats;
  /** Resolves when every buffered frame has been acknowledged (or timeoutMs passed: false). */
  flushed(timeoutMs: number): Promise<boolean>;
  close(): void;
}

const FATAL_UPGRADE = new Set([401, 403]);
/** Acks kept after sending, to resend one the gateway could not store (a few minutes' worth). */
const ACKS_REMEMBERED = 256;

export const connectDevice = (opts: DeviceClientOptions): DeviceClient => {
  const maxBuffer = opts.maxBuffer ?? 1000;
  const buffer: TelemetryBuffer = new Map();
  const acksPending: AckFrame[] = [];
  // Acks sent lately, by command and status: one the gateway refused as UNAVAILABLE or THROTTLED
  // (its error names it) is sent again after a pause, as a refused telemetry frame is.
  const acksSent = new Map<string, AckFrame>();
  const ackKey = (a: { commandId: string; status: string }): string => `${a.commandId}|${a.status}`;
  const stats: DeviceStats = { connected: false, sent: 0, accepted: 0, rejected: 0, replayed: 0, dropped: 0, reconnects: 0, buffered: 0, stopped: null };
  let ws: WebSocket | undefined;
  let attempt = 0;
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let resendTimer: NodeJS.Timeout | undefined;
  // Frames refused for a retryable reason (Kafka unavailable, throttled): resent after a pause.
  const retry = new Set<number>();

  const send = (f: TelemetryFrame | AckFrame): void => {
    if (ws?.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify(f));
      if (f.type === 'telemetry') stats.sent++;
      else {
        acksSent.delete(ackKey(f));
        acksSent.set(ackKey(f), f);
        if (acksSent.size > ACKS_REMEMBERED) acksSent.delete(acksSent.keys().next().value ?? '');
      }
    }
  };
  const resendAll = (): void => {
    for (const f of [...buffer.values()].sort((a, b) => a.seq - b.seq)) send(f);
    while (acksPending.length > 0) {
      const a = acksPending.shift();
      if (a) send(a);
    }
  };
  const scheduleResend = (): void => {
    resendTimer ??= setTimeout(() => {
      resendTimer = undefined;
      const due = [...retry].sort((a, b) => a - b);
      retry.clear();
      for (const seq of due) {
        const f = buffer.get(seq);
        if (f) send(f);
      }
      for (const a of acksPending.splice(0)) send(a);
    }, 1_000 + opts.random() * 1_000);
  };

  const onFrame = (f: GatewayFrame): void => {
    switch (f.type) {
      case 'welcome':
        // Everything unacknowledged is sent again; what the gateway has already comes back REPLAYED.
        attempt = 0;
        retry.clear();
        resendAll();
        return;
      case 'telemetry.accepted':
        if (buffer.delete(f.seq)) stats.accepted++;
        return;
      case 'error':
        if (f.code === 'UNAVAILABLE' || f.code === 'THROTTLED') {
          if (f.seq !== null) retry.add(f.seq);
          const ack = f.ack === undefined ? undefined : acksSent.get(ackKey(f.ack));
          if (ack !== undefined) acksPending.push(ack);
          scheduleResend();
          return;
        }
        // Already accepted earlier (a resend), or refused for good: either way not to be resent.
        if (f.seq !== null) buffer.delete(f.seq);
        if (f.code === 'REPLAYED') stats.replayed++;
        else stats.rejected++;
        opts.onRejected?.(f.code, f.message);
        return;
      case 'command':
        opts.onCommand?.(f.command);
        return;
      case 'forecast':
        opts.onForecast?.(f.bundle);
        return;
      case 'pong':
        return;
    }
  };

  const connect = (): void => {
    if (closed) return;
    const socket = new WebSocket(`${opts.url.replace(/^http/, 'ws')}/v1/device/connect`, { headers: { authorization: `Bearer ${opts.token}` } });
    ws = socket;
    socket.on('open', () => {
      stats.connected = true;
    });
    socket.on('message', (data) => {
      try {
        onFrame(JSON.parse((data as Buffer).toString('utf8')) as GatewayFrame);
      } catch {
        /* a frame we cannot read is ignored; the gateway speaks protocol v1 */
      }
    });
    socket.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        const parsed = (() => {
          try {
            return JSON.parse(body) as { code?: string; message?: string };
          } catch {
            return {};
          }
        })();
        opts.onRejected?.(parsed.code ?? String(res.statusCode), parsed.message ?? body);
        if (FATAL_UPGRADE.has(res.statusCode ?? 0)) {
          stats.stopped = `${parsed.code ?? res.statusCode}: ${parsed.message ?? ''}`;
          closed = true;
        }
        socket.terminate();
      });
    });
    socket.on('close', (code, reason) => {
      stats.connected = false;
      if (code === 4003) {
        stats.stopped = reason.toString() || 'REVOKED';
        closed = true;
      }
      if (closed) return;
      stats.reconnects++;
      retryTimer = setTimeout(connect, backoffMs(attempt++, opts.random));
    });
    socket.on('error', () => undefined);
  };
  connect();

  return {
    sendTelemetry(frame) {
      const f: TelemetryFrame = { type: 'telemetry', ...frame };
      stats.dropped += bufferFrame(buffer, f, maxBuffer);
      send(f);
    },
    sendAck(ack) {
      const f: AckFrame = { type: 'ack', ...ack };
      if (ws?.readyState === WebSocket.OPEN) send(f);
      else acksPending.push(f);
    },
    stats: () => ({ ...stats, buffered: buffer.size }),
    flushed: (timeoutMs) => bufferEmptied(buffer, timeoutMs),
    close() {
      closed = true;
      clearTimeout(retryTimer);
      clearTimeout(resendTimer);
      ws?.close(1000, 'device stopping');
    },
  };
};
