/**
 * A worker of `npm run bench -- control` and `isolation`: holds a share of the fleet's devices,
 * one WebSocket each (protocol v1), sends telemetry at a steady rate, obeys commands and
 * acknowledges them, and records what the benches measure: when each command arrived, how long
 * the gateway took to acknowledge each frame, and which frames it acknowledged (for the
 * reconciliation). Talks to the bench over IPC (messages in `ControlDevicesMsg`).
 *
 * The device is deliberately simple, so the measured response says something about the platform
 * and not about a battery model: while a DISCHARGE or CHARGE command's window is open the battery
 * runs at the commanded power, otherwise it idles; SoC follows the power. Unacknowledged frames
 * stay in a buffer and are resent after a reconnect or an UNAVAILABLE answer, as the reference
 * client does (services/edge/simulator/device-client.ts), so nothing acknowledged is ever in doubt.
 */
import WebSocket from 'ws';

export interface WorkerDevice {
  readonly url: string;
  readonly token: string;
  readonly deviceId: string;
  readonly siteId: string;
  readonly maxChargeKw: number;
  readonly maxDischargeKw: number;
  readonly batteryKwh: number;
  readonly solarKwp: number;
}

export interface CommandSeen { readonly commandId: string; readonly eventId: string | null; readonly siteId: string; readonly kind: string; readonly receivedAtMs: number }
/** The newest acknowledged frame of a device (highest seq), as the asset actors apply it. */
export interface LastFrame { readonly seq: number; readonly batteryKw: number; readonly solarKw: number; readonly loadKw: number; readonly gridKw: number; readonly socPct: number }
export interface DeviceFinal { readonly deviceId: string; readonly accepted: number[]; readonly last: LastFrame | null }
export interface WorkerCounters { sent: number; accepted: number; unavailable: number; rejected: number; replayed: number; reconnects: number; buffered: number; connected: number }

export type ControlDevicesCmd =
  | { cmd: 'start'; devices: WorkerDevice[]; telemetryMs: number }
  | { cmd: 'drain' }
  | { cmd: 'count' }
  | { cmd: 'quiesce' }
  | { cmd: 'final' }
  | { cmd: 'exit' };

export type ControlDevicesMsg =
  | { type: 'ready' }
  | { type: 'started'; connected: number }
  | { type: 'drained'; ackLatencyMs: number[]; commands: CommandSeen[]; counters: WorkerCounters }
  | { type: 'counted'; commands: number }
  | { type: 'quiet'; buffered: number }
  | { type: 'final'; devices: DeviceFinal[]; counters: WorkerCounters };

interface Frame { type: 'telemetry'; seq: number; measuredAtMs: number; socPct: number; batteryKw: number; solarKw: number; loadKw: number; gridKw: number; batteryTempC: number; mode: string; alarms: string[]; activeCommandId: string | null }
interface Active { commandId: string; kind: string; powerKw: number; startMs: number; endMs: number }

const counters: WorkerCounters = { sent: 0, accepted: 0, unavailable: 0, rejected: 0, replayed: 0, reconnects: 0, buffered: 0, connected: 0 };
let ackLatencyMs: number[] = [];
let commands: CommandSeen[] = [];
let producing = true;
const finals: Array<() => DeviceFinal> = [];
const bufferedOf: Array<() => number> = [];
const closers: Array<() => void> = [];
const send = (m: ControlDevicesMsg): void => void process.send?.(m);
const r3 = (x: number): number => Math.round(x * 1000) / 1000;

const runDevice = (d: WorkerDevice, telemetryMs: number, onFirstOpen: () => void): void => {
  const buffer = new Map<number, Frame>();
  const firstSentAt = new Map<number, number>();
  const accepted: number[] = [];
  const seenCommands = new Set<string>();
  const pendingAcks: string[] = [];
  let last: LastFrame | null = null;
  let active: Active | null = null;
  let soc = 55 + (Number.parseInt(d.deviceId.replace(/\D/g, '') || '0', 10) % 35);
  let seq = 0;
  let ws: WebSocket | undefined;
  let attempt = 0;
  let opened = false;
  let closed = false;
  let resendTimer: NodeJS.Timeout | undefined;

  const transmit = (f: Frame): void => {
    if (ws?.readyState !== WebSocket.OPEN) return;
    if (!firstSentAt.has(f.seq)) firstSentAt.set(f.seq, Date.now());
    ws.send(JSON.stringify(f));
    counters.sent++;
  };
  const ack = (commandId: string, status: 'ACCEPTED' | 'COMPLETED'): void => {
    const frame = JSON.stringify({ type: 'ack', commandId, status, reason: null, ackedAtMs: Date.now() });
    if (ws?.readyState === WebSocket.OPEN) ws.send(frame);
    else pendingAcks.push(frame);
  };
  const onCommand = (c: { commandId: string; eventId: string | null; siteId: string; kind: string; powerKw: number; startMs: number; endMs: number }): void => {
    // The gateway re-sends open commands after a reconnect: the first arrival is the delivery.
    if (seenCommands.has(c.commandId)) return;
    seenCommands.add(c.commandId);
    commands.push({ commandId: c.commandId, eventId: c.eventId, siteId: c.siteId, kind: c.kind, receivedAtMs: Date.now() });
    if (c.kind === 'RELEASE') {
      if (active && (c.eventId === null || active.commandId.startsWith(`${c.eventId}.`))) active = null;
      ack(c.commandId, 'COMPLETED');
      return;
    }
    active = { commandId: c.commandId, kind: c.kind, powerKw: c.powerKw, startMs: c.startMs, endMs: c.endMs };
    ack(c.commandId, 'ACCEPTED');
  };
  const measure = (): void => {
    if (!producing || closed) return;
    const now = Date.now();
    if (active && now >= active.endMs) active = null;
    const running = active !== null && now >= active.startMs;
    let batteryKw = 0;
    if (running && active?.kind === 'DISCHARGE') batteryKw = Math.min(d.maxDischargeKw, Math.abs(active.powerKw));
    if (running && active?.kind === 'CHARGE') batteryKw = -Math.min(d.maxChargeKw, Math.abs(active.powerKw));
    if (soc <= 6 && batteryKw > 0) batteryKw = 0;
    if (soc >= 99.5 && batteryKw < 0) batteryKw = 0;
    soc = Math.min(100, Math.max(5, soc - (batteryKw * telemetryMs) / 3_600_000 / Math.max(1, d.batteryKwh) * 100));
    seq++;
    const solarKw = r3(d.solarKwp * (0.3 + 0.05 * Math.sin(seq)));
    const loadKw = r3(1 + 0.2 * Math.cos(seq));
    const f: Frame = {
      type: 'telemetry', seq, measuredAtMs: now, socPct: r3(soc), batteryKw: r3(batteryKw), solarKw, loadKw, gridKw: r3(loadKw - solarKw - batteryKw),
      batteryTempC: 25, mode: running ? 'DISPATCH' : 'SELF_CONSUMPTION', alarms: [], activeCommandId: running ? (active?.commandId ?? null) : null,
    };
    buffer.set(seq, f);
    transmit(f);
  };
  const scheduleResend = (): void => {
    resendTimer ??= setTimeout(() => {
      resendTimer = undefined;
      for (const f of [...buffer.values()].sort((a, b) => a.seq - b.seq)) transmit(f);
    }, 1_000 + Math.random() * 1_000);
  };
  const onFrame = (f: { type: string; seq?: number | null; code?: string; command?: Parameters<typeof onCommand>[0] }): void => {
    if (f.type === 'welcome') {
      attempt = 0;
      while (pendingAcks.length > 0) ws?.send(pendingAcks.shift() ?? '');
      for (const fr of [...buffer.values()].sort((a, b) => a.seq - b.seq)) transmit(fr);
    } else if (f.type === 'telemetry.accepted' && typeof f.seq === 'number') {
      const fr = buffer.get(f.seq);
      if (!fr) return;
      buffer.delete(f.seq);
      counters.accepted++;
      accepted.push(f.seq);
      ackLatencyMs.push(Date.now() - (firstSentAt.get(f.seq) ?? Date.now()));
      firstSentAt.delete(f.seq);
      if (last === null || fr.seq > last.seq) last = { seq: fr.seq, batteryKw: fr.batteryKw, solarKw: fr.solarKw, loadKw: fr.loadKw, gridKw: fr.gridKw, socPct: fr.socPct };
    } else if (f.type === 'error') {
      if (f.code === 'UNAVAILABLE' || f.code === 'THROTTLED') {
        counters.unavailable++;
        scheduleResend();
        return;
      }
      if (typeof f.seq === 'number') {
        const fr = buffer.get(f.seq);
        buffer.delete(f.seq);
        firstSentAt.delete(f.seq);
        // REPLAYED: the gateway had it already (its acknowledgement was lost with a connection).
        if (f.code === 'REPLAYED' && fr) {
          counters.replayed++;
          accepted.push(f.seq);
          if (last === null || fr.seq > last.seq) last = { seq: fr.seq, batteryKw: fr.batteryKw, solarKw: fr.solarKw, loadKw: fr.loadKw, gridKw: fr.gridKw, socPct: fr.socPct };
          return;
        }
      }
      counters.rejected++;
    } else if (f.type === 'command' && f.command) onCommand(f.command);
  };
  const connect = (): void => {
    if (closed) return;
    const socket = new WebSocket(`${d.url.replace(/^http/, 'ws')}/v1/device/connect`, { headers: { authorization: `Bearer ${d.token}` }, perMessageDeflate: false });
    ws = socket;
    socket.on('open', () => {
      counters.connected++;
      if (!opened) {
        opened = true;
        onFirstOpen();
      }
    });
    socket.on('message', (data) => {
      try {
        onFrame(JSON.parse((data as Buffer).toString('utf8')) as Parameters<typeof onFrame>[0]);
      } catch {
        /* not a frame of protocol v1: ignored */
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (socket.readyState !== WebSocket.CLOSED) return;
      if (opened && ws === socket) counters.connected = Math.max(0, counters.connected - 1);
      if (closed) return;
      counters.reconnects++;
      // Full jitter, 0.5 s doubling to 10 s: a fleet that lost its gateway does not return at once.
      const wait = Math.random() * Math.min(10_000, 500 * 2 ** attempt++);
      setTimeout(connect, wait);
    });
  };
  connect();
  const phase = Math.random() * telemetryMs;
  const startTimer = setTimeout(() => {
    measure();
    const t = setInterval(measure, telemetryMs);
    closers.push(() => clearInterval(t));
  }, phase);
  closers.push(() => {
    closed = true;
    clearTimeout(startTimer);
    if (resendTimer) clearTimeout(resendTimer);
    ws?.terminate();
  });
  bufferedOf.push(() => buffer.size);
  finals.push(() => ({ deviceId: d.deviceId, accepted: [...accepted].sort((a, b) => a - b), last }));
};

const start = async (devices: WorkerDevice[], telemetryMs: number): Promise<void> => {
  let open = 0;
  for (let i = 0; i < devices.length; i += 500) {
    const slice = devices.slice(i, i + 500);
    const target = open + slice.length;
    const deadline = Date.now() + 30_000;
    await new Promise<void>((resolve) => {
      for (const d of slice) runDevice(d, telemetryMs, () => {
        open++;
        if (open >= target) resolve();
      });
      const poll = setInterval(() => {
        if (open >= target || Date.now() > deadline) {
          clearInterval(poll);
          resolve();
        }
      }, 50);
    });
  }
  send({ type: 'started', connected: open });
};

process.on('message', (m: ControlDevicesCmd) => {
  if (m.cmd === 'start') void start(m.devices, m.telemetryMs);
  else if (m.cmd === 'count') send({ type: 'counted', commands: commands.length });
  else if (m.cmd === 'drain') {
    counters.buffered = bufferedOf.reduce((a, f) => a + f(), 0);
    send({ type: 'drained', ackLatencyMs, commands, counters: { ...counters } });
    ackLatencyMs = [];
    commands = [];
  } else if (m.cmd === 'quiesce') {
    // Stop measuring; what is still unacknowledged keeps being resent until the gateway has it.
    producing = false;
    send({ type: 'quiet', buffered: bufferedOf.reduce((a, f) => a + f(), 0) });
  } else if (m.cmd === 'final') {
    counters.buffered = bufferedOf.reduce((a, f) => a + f(), 0);
    send({ type: 'final', devices: finals.map((f) => f()), counters: { ...counters } });
  } else {
    for (const c of closers) c();
    process.exit(0);
  }
});
send({ type: 'ready' });
