/**
 * A worker of `npm run bench -- delivery`: holds devices in push mode (WebSocket) or poll mode
 * (HTTP with If-None-Match) and reports when each received the forecast bundle of a given run,
 * and how many bytes reached them. Talks to the bench over IPC.
 */
import WebSocket from 'ws';

interface Device { url: string; token: string }
type Msg =
  | { cmd: 'start'; mode: 'push' | 'poll'; devices: Device[]; pollMs: number }
  | { cmd: 'watch'; runId: string }
  | { cmd: 'report' }
  | { cmd: 'exit' };

let watching: string | undefined;
const receivedAt: number[] = [];
let bytes = 0;
let requests = 0;
const perSecond = new Map<number, number>();
const sockets: WebSocket[] = [];
const timers: NodeJS.Timeout[] = [];
const send = (m: unknown): void => void process.send?.(m);

const seen = (runId: string | undefined): void => {
  if (watching !== undefined && runId === watching) receivedAt.push(Date.now());
};

const startPush = async (devices: Device[]): Promise<void> => {
  for (let i = 0; i < devices.length; i += 500) {
    await Promise.all(devices.slice(i, i + 500).map((d) => new Promise<void>((resolve) => {
      const ws = new WebSocket(`${d.url.replace('http', 'ws')}/v1/device/connect`, { headers: { authorization: `Bearer ${d.token}` }, perMessageDeflate: false });
      ws.on('message', (data) => {
        const text = (data as Buffer).toString('utf8');
        bytes += text.length;
        const sec = Math.floor(Date.now() / 1000);
        perSecond.set(sec, (perSecond.get(sec) ?? 0) + 1);
        const f = JSON.parse(text) as { type: string; bundle?: { runId: string } };
        if (f.type === 'forecast') seen(f.bundle?.runId);
      });
      ws.once('open', () => {
        sockets.push(ws);
        resolve();
      });
      ws.once('error', () => resolve());
    })));
  }
};

const startPoll = (devices: Device[], pollMs: number): void => {
  for (const d of devices) {
    let etag: string | undefined;
    let got: string | undefined;
    const poll = async (): Promise<void> => {
      try {
        const res = await fetch(`${d.url}/v1/device/inputs`, { headers: { authorization: `Bearer ${d.token}`, ...(etag ? { 'if-none-match': etag } : {}) } });
        requests++;
        const sec = Math.floor(Date.now() / 1000);
        perSecond.set(sec, (perSecond.get(sec) ?? 0) + 1);
        // Status line and headers as they cross the wire, roughly: count them too.
        bytes += 160;
        if (res.status === 200) {
          const text = await res.text();
          bytes += text.length;
          etag = res.headers.get('etag') ?? undefined;
          const body = JSON.parse(text) as { forecast: { runId: string } | null };
          if (body.forecast && body.forecast.runId !== got) {
            got = body.forecast.runId;
            seen(got);
          }
        }
      } catch {
        /* counted as not delivered yet */
      }
      timers.push(setTimeout(() => void poll(), pollMs));
    };
    // Devices poll on their own phase: jitter over one interval.
    timers.push(setTimeout(() => void poll(), Math.random() * pollMs));
  }
};

process.on('message', (m: Msg) => {
  if (m.cmd === 'start') {
    if (m.mode === 'push') void startPush(m.devices).then(() => send({ type: 'started', count: sockets.length }));
    else {
      startPoll(m.devices, m.pollMs);
      send({ type: 'started', count: m.devices.length });
    }
  } else if (m.cmd === 'watch') {
    watching = m.runId;
    receivedAt.length = 0;
    bytes = 0;
    requests = 0;
    perSecond.clear();
    send({ type: 'watching' });
  } else if (m.cmd === 'report') {
    send({ type: 'report', receivedAt, bytes, requests, peakPerSec: Math.max(0, ...perSecond.values()) });
  } else {
    for (const t of timers) clearTimeout(t);
    for (const s of sockets) s.terminate();
    process.exit(0);
  }
});
send({ type: 'ready' });
