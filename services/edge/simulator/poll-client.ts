/**
 * A device in poll mode (docs/device-protocol.md): on its own schedule it posts buffered frames
 * and fetches its inputs with If-None-Match, so an unchanged answer costs a 304 and no body. Same
 * buffer, resend and acknowledgement rules as the push client.
 */
import type { ForecastBundle, SiteCommand } from '../../platform/events.ts';
import type { AckFrame, GatewayFrame, TelemetryFrame } from '../../platform/device-protocol.ts';
import type { DeviceClient, DeviceClientOptions, DeviceStats } from './device-client.ts';
import { bufferEmptied, bufferFrame, type TelemetryBuffer } from './telemetry-buffer.ts';

export const pollDevice = (opts: DeviceClientOptions & { intervalMs: number }): DeviceClient => {
  const maxBuffer = opts.maxBuffer ?? 1000;
  const buffer: TelemetryBuffer = new Map();
  const acks: AckFrame[] = [];
  const stats: DeviceStats = { connected: false, sent: 0, accepted: 0, rejected: 0, replayed: 0, dropped: 0, reconnects: 0, buffered: 0, stopped: null };
  const auth = { authorization: `Bearer ${opts.token}` };
  let etag: string | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  const postFrames = async (): Promise<void> => {
    const frames: Array<TelemetryFrame | AckFrame> = [...acks.splice(0, 100), ...[...buffer.values()].slice(0, 400)];
    if (frames.length === 0) return;
    const res = await fetch(`${opts.url}/v1/device/frames`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(frames) });
    if (res.status !== 200) {
      for (const f of frames) if (f.type === 'ack') acks.push(f);
      if (res.status === 401 || res.status === 403) stats.stopped = `${res.status}: ${await res.text()}`;
      return;
    }
    stats.sent += frames.filter((f) => f.type === 'telemetry').length;
    const { results } = (await res.json()) as { results: Array<GatewayFrame | { type: 'ok' }> };
    results.forEach((r, i) => {
      const f = frames[i];
      // An ack the gateway could not store goes out again with the next post.
      if (f?.type === 'ack' && r.type === 'error' && (r.code === 'UNAVAILABLE' || r.code === 'THROTTLED')) acks.push(f);
      if (f?.type !== 'telemetry') return;
      if (r.type === 'telemetry.accepted') {
        if (buffer.delete(f.seq)) stats.accepted++;
      } else if (r.type === 'error' && r.code !== 'UNAVAILABLE' && r.code !== 'THROTTLED') {
        buffer.delete(f.seq);
        if (r.code === 'REPLAYED') stats.replayed++;
        else {
          stats.rejected++;
          opts.onRejected?.(r.code, r.message);
        }
      }
    });
  };

  const fetchInputs = async (): Promise<void> => {
    const res = await fetch(`${opts.url}/v1/device/inputs`, { headers: { ...auth, ...(etag === undefined ? {} : { 'if-none-match': etag }) } });
    if (res.status === 304) return;
    if (res.status !== 200) {
      if (res.status === 401 || res.status === 403) stats.stopped = `${res.status}: ${await res.text()}`;
      return;
    }
    etag = res.headers.get('etag') ?? undefined;
    const body = (await res.json()) as { commands: SiteCommand[]; forecast: ForecastBundle | null };
    for (const c of body.commands) opts.onCommand?.(c);
    if (body.forecast) opts.onForecast?.(body.forecast);
  };

  const cycle = async (): Promise<void> => {
    try {
      await postFrames();
      await fetchInputs();
      stats.connected = true;
    } catch {
      stats.connected = false;
      stats.reconnects++;
    }
    if (!closed && stats.stopped === null) timer = setTimeout(() => void cycle(), opts.intervalMs);
  };
  // Spread the fleet's first polls over one interval.
  timer = setTimeout(() => void cycle(), opts.random() * opts.intervalMs);

  return {
    sendTelemetry(frame) {
      stats.dropped += bufferFrame(buffer, { type: 'telemetry', ...frame }, maxBuffer);
    },
    sendAck(ack) {
      acks.push({ type: 'ack', ...ack });
    },
    stats: () => ({ ...stats, buffered: buffer.size }),
    flushed: (timeoutMs) => bufferEmptied(buffer, timeoutMs),
    close() {
      closed = true;
      clearTimeout(timer);
    },
  };
};
