/**
 * The push client resends an acknowledgement the gateway could not store (UNAVAILABLE, THROTTLED:
 * the error names the ack), and does not resend one refused for good. Against a real WebSocket
 * server on a free port that plays the gateway's part of the protocol.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AckFrame, GatewayFrame } from '../../../../services/platform/device-protocol.ts';
import { connectDevice, type DeviceClient } from '../../../../services/edge/simulator/device-client.ts';

const servers: WebSocketServer[] = [];
const clients: DeviceClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

/** A gateway stand-in that answers each ack with `answer(ack, n)` (n: how many times it saw this ack). */
const gateway = async (answer: (a: AckFrame, n: number) => GatewayFrame | null): Promise<{ url: string; acks: AckFrame[] }> => {
  const wss = new WebSocketServer({ port: 0 });
  servers.push(wss);
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const acks: AckFrame[] = [];
  wss.on('connection', (ws: WebSocket) => {
    ws.send(JSON.stringify({ type: 'welcome', protocol: 1, deviceId: 'd', siteId: 's', serverTimeMs: 0 }));
    ws.on('message', (data: Buffer) => {
      const f = JSON.parse(data.toString()) as AckFrame;
      if (f.type !== 'ack') return;
      acks.push(f);
      const reply = answer(f, acks.filter((a) => a.commandId === f.commandId && a.status === f.status).length);
      if (reply !== null) ws.send(JSON.stringify(reply));
    });
  });
  return { url: `http://127.0.0.1:${(wss.address() as AddressInfo).port}`, acks };
};

const until = async (check: () => boolean, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
};

const connected = async (url: string): Promise<DeviceClient> => {
  const c = connectDevice({ url, token: 't', random: () => 0 });
  clients.push(c);
  await until(() => c.stats().connected);
  return c;
};

describe('device client acknowledgements', () => {
  it('resends an ack the gateway could not store, and only that one', async () => {
    const gw = await gateway((a, n) => (a.status === 'ACCEPTED' && n === 1 ? { type: 'error', code: 'UNAVAILABLE', message: 'ack not stored, resend', seq: null, ack: { commandId: a.commandId, status: a.status } } : null));
    const c = await connected(gw.url);
    c.sendAck({ commandId: 'cmd-1', status: 'ACCEPTED', reason: null, ackedAtMs: 1 });
    c.sendAck({ commandId: 'cmd-2', status: 'COMPLETED', reason: null, ackedAtMs: 2 });
    await until(() => gw.acks.length >= 3);
    await new Promise((r) => setTimeout(r, 2_500));
    expect(gw.acks.map((a) => `${a.commandId}:${a.status}`)).toEqual(['cmd-1:ACCEPTED', 'cmd-2:COMPLETED', 'cmd-1:ACCEPTED']);
  });

  it('does not resend an ack refused for good (FORBIDDEN)', async () => {
    const gw = await gateway((a) => ({ type: 'error', code: 'FORBIDDEN', message: 'not sent to this site', seq: null, ack: { commandId: a.commandId, status: a.status } }));
    const c = await connected(gw.url);
    c.sendAck({ commandId: 'cmd-9', status: 'ACCEPTED', reason: null, ackedAtMs: 1 });
    await until(() => gw.acks.length >= 1);
    await new Promise((r) => setTimeout(r, 2_500));
    expect(gw.acks).toHaveLength(1);
  });
});
