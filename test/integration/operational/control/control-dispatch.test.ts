import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SiteCommand } from '../../../../services/platform/events.ts';
import { connectDevice, type DeviceClient } from '../../../../services/edge/simulator/device-client.ts';
import { createAgentState, defaultAgentConfig, onCommand, type AgentState } from '../../../../services/edge/agent/agent.ts';
import { touTariff } from '../../../../services/edge/agent/tariff.ts';
import type { Gateway } from '../../../../services/operational/gateway/gateway.ts';
import type { Control } from '../../../../services/operational/control/control.ts';
import { provisionSites, startTestGateway, type ProvisionedDevice } from '../../../support/gateway-fixture.ts';
import { call, publishStates, siteState, startTestControl, TOKENS, until } from './control-fixture.ts';

interface Device {
  readonly info: ProvisionedDevice;
  readonly client: DeviceClient;
  readonly received: SiteCommand[];
}

interface Detail {
  event: { eventId: string };
  status: string;
  allocatedKw: number;
  sites: number;
  dropped: string[];
  fulfillment: {
    targetKw: number;
    responseKw: number;
    deliveredSites: number;
    targetedSites: number;
    commands: { issued: number; accepted: number; completed: number; rejected: number };
    samples: Array<{ atMs: number; responseKw: number }>;
  };
}

describe('control end to end: dispatch through the gateway to devices, acks back, re-allocation, cancel', () => {
  let gw: Gateway;
  let control: Control;
  let feeder: string;
  const devices: Device[] = [];

  beforeAll(async () => {
    gw = await startTestGateway();
    const provisioned = await provisionSites(gw.url, 3);
    feeder = provisioned[0]?.siteId.replace(/-site-0$/, '') ?? '';
    // Stand-in for the asset actors: every site online at 80 %.
    await publishStates(provisioned.map((d) => siteState(d.siteId, 1)));
    control = await startTestControl();
    for (const info of provisioned) {
      // Each device applies the edge agent's real command rules and acknowledges as it says.
      let agent: AgentState = createAgentState(
        { siteId: info.siteId, deviceId: info.deviceId, batteryKwh: 13.5, maxChargeKw: 5, maxDischargeKw: 5, roundTripEfficiency: 0.9, backupReservePct: 20 },
        defaultAgentConfig(touTariff()),
      );
      const received: SiteCommand[] = [];
      const client: DeviceClient = connectDevice({
        url: gw.url, token: info.token, random: Math.random,
        onCommand: (c) => {
          received.push(c);
          const r = onCommand(agent, c, Date.now());
          agent = r.state;
          for (const a of r.acks) if (a.status !== 'EXPIRED') client.sendAck({ commandId: a.commandId, status: a.status, reason: a.reason, ackedAtMs: a.ackedAtMs });
        },
      });
      devices.push({ info, client, received });
    }
    await until(() => devices.every((d) => d.client.stats().connected));
  });

  afterAll(async () => {
    for (const d of devices) d.client.close();
    await control.close();
    await gw.close();
  });

  const detail = async (eventId: string): Promise<Detail> => (await call(`${control.url}/v1/events/${eventId}`, 'GET', TOKENS.viewer)).body as unknown as Detail;

  it('dispatches 9 kW from the feeder: each device gets its 3 kW command, acks reach fulfillment, measured response meets the target', async () => {
    const res = await call(`${control.url}/v1/events`, 'POST', TOKENS.operator, { kind: 'VPP_DISPATCH', scopeAssetId: feeder, targetMw: 0.009, durationMin: 60 });
    expect(res.status).toBe(201);
    const eventId = (res.body['event'] as { eventId: string }).eventId;
    await until(() => devices.every((d) => d.received.some((c) => c.eventId === eventId)));
    for (const d of devices) expect(d.received.filter((c) => c.eventId === eventId).map((c) => [c.siteId, c.kind, c.powerKw])).toEqual([[d.info.siteId, 'DISCHARGE', 3]]);
    await until(async () => (await detail(eventId)).fulfillment.commands.accepted === 3);
    const acked = await detail(eventId);
    expect(acked.fulfillment.deliveredSites).toBe(3);
    expect(acked.fulfillment.targetKw).toBe(9);
    // The asset actors report the batteries discharging: the measured response reaches the target.
    await publishStates(devices.map((d) => siteState(d.info.siteId, 2, {}, 3)));
    await until(async () => (await detail(eventId)).fulfillment.responseKw >= 9 - 1e-6);
    expect((await detail(eventId)).fulfillment.samples.at(-1)?.responseKw).toBeCloseTo(9);

    // A site drops out (goes offline): its share moves to the other two, which get new commands.
    const [gone, ...rest] = devices;
    if (gone === undefined) throw new Error('no device');
    await publishStates([siteState(gone.info.siteId, 3, { online: false }, 0)]);
    await until(async () => (await detail(eventId)).dropped.includes(gone.info.siteId));
    await until(() => rest.every((d) => d.received.some((c) => c.eventId === eventId && c.kind === 'DISCHARGE' && c.powerKw === 4.5)));
    const moved = await detail(eventId);
    expect(moved.allocatedKw).toBeCloseTo(9);
    expect(moved.sites).toBe(2);

    // Cancel: every site still in the event gets a RELEASE, and the devices complete their commands.
    const cancelled = await call(`${control.url}/v1/events/${eventId}/cancel`, 'POST', TOKENS.operator, { reason: 'test over' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body['status']).toBe('CANCELLED');
    await until(() => rest.every((d) => d.received.some((c) => c.eventId === eventId && c.kind === 'RELEASE')));
    await until(async () => (await detail(eventId)).fulfillment.commands.completed >= 4);
    // The site that dropped out was released when its share moved (it gets the RELEASE when it reconnects; this one never left).
    expect(gone.received.filter((c) => c.eventId === eventId).map((c) => c.kind)).toEqual(['DISCHARGE', 'RELEASE']);

    // A control instance started now rebuilds the event, its commands and acks from Kafka alone.
    const restarted = await startTestControl();
    try {
      const again = async (): Promise<Detail> => (await call(`${restarted.url}/v1/events/${eventId}`, 'GET', TOKENS.viewer)).body as unknown as Detail;
      expect((await again()).status).toBe('CANCELLED');
      expect((await again()).fulfillment.commands.issued).toBe((await detail(eventId)).fulfillment.commands.issued);
      // Acks may still be arriving: both instances converge on the same counts.
      await until(async () => JSON.stringify((await again()).fulfillment.commands) === JSON.stringify((await detail(eventId)).fulfillment.commands), 10_000);
      expect((await again()).sites).toBe(0);
    } finally {
      await restarted.close();
    }
  });

  it('storm watch: every site holds full charge and acknowledges', async () => {
    const res = await call(`${control.url}/v1/events`, 'POST', TOKENS.operator, { kind: 'STORM_WATCH', scopeAssetId: feeder, durationMin: 120, reason: 'front arriving' });
    expect(res.status).toBe(201);
    const eventId = (res.body['event'] as { eventId: string }).eventId;
    const online = devices.slice(1);
    await until(() => online.every((d) => d.received.some((c) => c.eventId === eventId && c.kind === 'HOLD_RESERVE' && c.reservePct === 100)));
    await until(async () => (await detail(eventId)).fulfillment.commands.accepted >= 2);
    expect((await detail(eventId)).fulfillment.targetedSites).toBe(3);
  });
});
