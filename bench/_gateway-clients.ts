/**
 * A worker of `npm run bench -- gateway`: holds a share of the device connections and, when told,
 * sends telemetry as fast as the gateways acknowledge it (a window of frames in flight per
 * process). Talks to the bench over IPC. Not a benchmark of its own (the leading underscore).
 */
import WebSocket from 'ws';

interface Device { url: string; token: string }
type Msg = { cmd: 'connect'; devices: Device[] } | { cmd: 'send'; seconds: number; window: number } | { cmd: 'exit' };

const sockets: WebSocket[] = [];
const send = (m: unknown): void => void process.send?.(m);
const rssMb = (): number => Math.round(process.memoryUsage().rss / 1024 / 1024);

const connectAll = async (devices: Device[]): Promise<void> => {
  let failed = 0;
  const batch = 500;
  for (let i = 0; i < devices.length; i += batch) {
    await Promise.all(devices.slice(i, i + batch).map((d) => new Promise<void>((resolve) => {
      const ws = new WebSocket(`${d.url.replace('http', 'ws')}/v1/device/connect`, { headers: { authorization: `Bearer ${d.token}` }, perMessageDeflate: false });
      ws.once('open', () => {
        sockets.push(ws);
        resolve();
      });
      ws.once('error', () => {
        failed++;
        resolve();
      });
    })));
  }
  send({ type: 'connected', count: sockets.length, failed, rssMb: rssMb() });
};

const sendTelemetry = async (seconds: number, window: number): Promise<void> => {
  let accepted = 0;
  let rejected = 0;
  let inFlight = 0;
  const seq = new Map<WebSocket, number>();
  let next = 0;
  const end = Date.now() + seconds * 1000;
  const fire = (): void => {
    while (inFlight < window && Date.now() < end && sockets.length > 0) {
      const ws = sockets[next++ % sockets.length];
      if (!ws) break;
      const s = (seq.get(ws) ?? 0) + 1;
      seq.set(ws, s);
      inFlight++;
      ws.send(JSON.stringify({ type: 'telemetry', seq: s, measuredAtMs: Date.now(), socPct: 50, batteryKw: 1, solarKw: 2, loadKw: 3, gridKw: 0, batteryTempC: 25, mode: 'SELF_CONSUMPTION', alarms: [], activeCommandId: null }));
    }
  };
  for (const ws of sockets) {
    ws.on('message', (d) => {
      const f = JSON.parse((d as Buffer).toString('utf8')) as { type: string };
      if (f.type === 'telemetry.accepted') accepted++;
      else if (f.type === 'error') rejected++;
      else return;
      inFlight--;
      fire();
    });
  }
  const t0 = Date.now();
  fire();
  while (Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  const elapsed = (Date.now() - t0) / 1000;
  send({ type: 'sent', accepted, rejected, elapsedSec: elapsed, rssMb: rssMb() });
};

process.on('message', (m: Msg) => {
  if (m.cmd === 'connect') void connectAll(m.devices);
  else if (m.cmd === 'send') void sendTelemetry(m.seconds, m.window);
  else {
    for (const s of sockets) s.terminate();
    process.exit(0);
  }
});
send({ type: 'ready' });
