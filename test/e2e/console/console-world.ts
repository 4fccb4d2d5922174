/**
 * The console's end-to-end world on the test stack: the gateway and control from their
 * integration fixtures, a real assets process (services/operational/assets/main.ts with a group of its own),
 * a small fleet of its own (two regions; region A's eight community batteries can give 2.4 MW),
 * simulated devices that obey commands with the edge agent's rules and report what they do as
 * telemetry through the gateway, and the console itself. What the console shows therefore went
 * devices -> gateway -> telemetry.v1 -> asset actors -> asset.state.v1 -> control and the read API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../../integration/embedded/clickhouse/server-process.ts';
import type { AssetDefinition, SiteCommand } from '../../../services/platform/events.ts';
import { systemClock } from '../../../services/platform/clock.ts';
import { createLogger } from '../../../services/platform/logger.ts';
import { connectDevice, type DeviceClient } from '../../../services/edge/simulator/device-client.ts';
import { createAgentState, defaultAgentConfig, onCommand, type AgentState } from '../../../services/edge/agent/agent.ts';
import { touTariff } from '../../../services/edge/agent/tariff.ts';
import type { Gateway } from '../../../services/operational/gateway/gateway.ts';
import type { Control } from '../../../services/operational/control/control.ts';
import { parseConsoleConfig } from '../../../services/console/config.ts';
import { startConsole, type ConsoleHandle } from '../../../services/console/console.ts';
import { frame, OPERATOR, startTestGateway, type ProvisionedDevice } from '../../support/gateway-fixture.ts';
import { freshName, TEST_STACK_ENV } from '../../support/stack-env.ts';
import { startTestControl, TOKENS, until } from '../../integration/operational/control/control-fixture.ts';

export { TOKENS, until };

export const CUSTOMER_TOKEN = 'customer-token-console-1';

const SITE = { batteryKwh: 1200, maxChargeKw: 300, maxDischargeKw: 300, solarKwp: 100, backupReservePct: 20 } as const;

const def = (assetId: string, kind: AssetDefinition['kind'], parentId: string | null, extra: Partial<AssetDefinition> = {}): Partial<AssetDefinition> => ({ assetId, kind, parentId, name: assetId, ...extra });

export interface ConsoleWorld {
  readonly fleetId: string;
  readonly regionA: string;
  readonly regionB: string;
  readonly sites: readonly string[];
  /** Region A's substation, feeder, sites, weather cell and grid region (for the forecast rows). */
  readonly a: { readonly substation: string; readonly feeder: string; readonly sites: readonly string[]; readonly cell: string; readonly grid: string };
  readonly customerSite: string;
  readonly console: ConsoleHandle;
  /** Battery kW each site reports now (+ discharge). */
  readonly batteryKw: ReadonlyMap<string, number>;
  close(): Promise<void>;
}

const startAssetsProcess = (port: number): { child: ChildProcess; output: () => string } => {
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/operational/assets/main.ts'], {
    env: {
      PATH: process.env['PATH'] ?? '', ...TEST_STACK_ENV, LOG_LEVEL: 'warn',
      ASSETS_PORT: String(port), ASSETS_GROUP_ID: freshName('console-assets'), ASSETS_INSTANCE_ID: freshName('console-assets'), ASSETS_TICK_MS: '1000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  return { child, output: () => output.slice(-3000) };
};

export const createConsoleWorld = async (): Promise<ConsoleWorld> => {
  const fleetId = freshName('fleet');
  const regionA = `${fleetId}-region-a`;
  const regionB = `${fleetId}-region-b`;
  const assets: Array<Partial<AssetDefinition>> = [def(fleetId, 'FLEET', null)];
  const siteIds: string[] = [];
  for (const [r, region, count, lat] of [[0, regionA, 8, 52.0], [1, regionB, 2, 52.8]] as const) {
    const sub = `${region}-sub-1`;
    const feeder = `${sub}-feeder-1`;
    assets.push(def(region, 'REGION', fleetId), def(sub, 'SUBSTATION', region), def(feeder, 'FEEDER', sub));
    for (let i = 0; i < count; i++) {
      const siteId = `${feeder}-site-${i}`;
      siteIds.push(siteId);
      assets.push(def(siteId, 'SITE', feeder, { ...SITE, latitudeDeg: lat + 0.05 * i, longitudeDeg: 4.5 + 0.1 * i + r, weatherCellId: `cell-${r}`, gridRegionId: `grid-${r}` }));
      assets.push(def(`${siteId}-dev`, 'DEVICE', siteId));
    }
  }
  const customerSite = siteIds[0] ?? '';

  const gw: Gateway = await startTestGateway();
  const res = await fetch(`${gw.url}/v1/provision`, { method: 'POST', headers: { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' }, body: JSON.stringify({ assets }) });
  if (res.status !== 200) throw new Error(`provision failed: ${res.status} ${await res.text()}`);
  const provisioned = ((await res.json()) as { devices: ProvisionedDevice[] }).devices;

  const assetsPort = await freePort();
  const assetsProc = startAssetsProcess(assetsPort);
  const assetsUrl = `http://127.0.0.1:${assetsPort}`;
  await until(async () => {
    if (assetsProc.child.exitCode !== null) throw new Error(`assets exited: ${assetsProc.output()}`);
    try {
      return (await fetch(`${assetsUrl}/healthz`)).ok;
    } catch {
      return false;
    }
  }, 90_000);

  const control: Control = await startTestControl([{ siteId: customerSite, token: CUSTOMER_TOKEN }]);

  // Devices: obey commands as the edge agent does and report the battery power they were told to give.
  const batteryKw = new Map<string, number>();
  const devices: DeviceClient[] = [];
  const timers: NodeJS.Timeout[] = [];
  for (const info of provisioned) {
    let agent: AgentState = createAgentState(
      { siteId: info.siteId, deviceId: info.deviceId, batteryKwh: SITE.batteryKwh, maxChargeKw: SITE.maxChargeKw, maxDischargeKw: SITE.maxDischargeKw, roundTripEfficiency: 0.9, backupReservePct: SITE.backupReservePct },
      defaultAgentConfig(touTariff()),
    );
    batteryKw.set(info.siteId, 0);
    let seq = 0;
    const client: DeviceClient = connectDevice({
      url: gw.url, token: info.token, random: Math.random,
      onCommand: (c: SiteCommand) => {
        const r = onCommand(agent, c, Date.now());
        agent = r.state;
        for (const a of r.acks) if (a.status !== 'EXPIRED') client.sendAck({ commandId: a.commandId, status: a.status, reason: a.reason, ackedAtMs: a.ackedAtMs });
        const running = agent.commands.find((x) => x.command.kind === 'DISCHARGE' || x.command.kind === 'CHARGE');
        batteryKw.set(info.siteId, running === undefined ? 0 : running.command.kind === 'DISCHARGE' ? running.command.powerKw : -running.command.powerKw);
      },
    });
    const report = (): void => {
      const kw = batteryKw.get(info.siteId) ?? 0;
      client.sendTelemetry(frame(++seq, Date.now(), { socPct: 80, batteryKw: kw, solarKw: 20, loadKw: 15, gridKw: 15 - 20 - kw }));
    };
    timers.push(setInterval(report, 1000));
    devices.push(client);
  }
  await until(() => devices.every((d) => d.stats().connected), 30_000);

  const consolePort = '0';
  const config = parseConsoleConfig({
    ...TEST_STACK_ENV, LOG_LEVEL: 'error', CONSOLE_PORT: consolePort, CONSOLE_CONTROL_URL: control.url, CONSOLE_ASSETS_URL: assetsUrl,
    CONSOLE_GATEWAY_URL: gw.url, CONSOLE_INGEST_URL: `http://127.0.0.1:${await freePort()}`, CONSOLE_FLEET_ID: fleetId, CONSOLE_POLL_MS: '500',
    CONSOLE_ANALYTICS_TIMEOUT_MS: '5000',
  });
  const consoleHandle = await startConsole(config, { logger: createLogger('error', { service: 'console-test' }), clock: systemClock, instanceId: freshName('console') });

  return {
    fleetId, regionA, regionB, sites: siteIds, customerSite,
    a: { substation: `${regionA}-sub-1`, feeder: `${regionA}-sub-1-feeder-1`, sites: siteIds.slice(0, 8), cell: 'cell-0', grid: 'grid-0' }, console: consoleHandle, batteryKw,
    async close() {
      for (const t of timers) clearInterval(t);
      await consoleHandle.close();
      for (const d of devices) d.close();
      await control.close();
      assetsProc.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 200));
      if (assetsProc.child.exitCode === null) assetsProc.child.kill('SIGKILL');
      await gw.close();
    },
  };
};
