/**
 * One simulated device: the site's physics, the edge agent that decides the battery setpoint,
 * and the network client that carries telemetry up and commands and forecasts down. `tick`
 * advances it by one measurement step at simulated time tMs.
 */
import type { ForecastBundle, SiteCommand } from '../../platform/events.ts';
import { createAgentState, decide, defaultAgentConfig, onBundle, onCommand, type AgentState } from '../agent/agent.ts';
import { touTariff } from '../agent/tariff.ts';
import type { DeviceClient } from './device-client.ts';
import type { CellWeather } from './physics/weather-field.ts';
import { siteConditions, stepSite, type SiteSpec, type SiteState } from './physics/site-sim.ts';
import type { SitePlan } from './provision-plan.ts';

export interface SimulatedDevice {
  readonly site: SitePlan;
  tick(tMs: number, dtMs: number, weather: CellWeather): void;
  onCommand(c: SiteCommand, nowMs: number): void;
  onForecast(b: ForecastBundle, nowMs: number): void;
  attach(client: DeviceClient): void;
  client(): DeviceClient | undefined;
  socPct(): number;
}

/**
 * firstSeq: the sequence number of the device's first frame. The protocol's sequence only grows,
 * across restarts too (the platform drops a frame whose seq it has seen, and keeps the highest seen
 * per device in its changelog), so a device that does not store its sequence starts from its clock
 * at boot: the fleet runner passes wall-clock milliseconds.
 */
export const createSimulatedDevice = (site: SitePlan, initialSocPct: number, stepMs: number, firstSeq = 1): SimulatedDevice => {
  const spec: SiteSpec = site;
  let physical: SiteState = { socPct: initialSocPct, batteryTempC: 22 };
  let agent: AgentState = createAgentState({ ...site, siteId: site.siteId, deviceId: site.deviceId }, defaultAgentConfig(touTariff({ utcOffsetHours: site.utcOffsetHours }), { controlIntervalMs: stepMs }));
  let net: DeviceClient | undefined;
  let seq = firstSeq - 1;
  const sendAcks = (acks: ReadonlyArray<{ commandId: string; status: 'ACCEPTED' | 'REJECTED' | 'COMPLETED' | 'EXPIRED'; reason: string | null; ackedAtMs: number }>): void => {
    for (const a of acks) if (a.status !== 'EXPIRED') net?.sendAck({ commandId: a.commandId, status: a.status, reason: a.reason, ackedAtMs: a.ackedAtMs });
  };
  return {
    site,
    tick(tMs, dtMs, weather) {
      const conditions = siteConditions(spec, weather, tMs);
      const d = decide(agent, tMs, { socPct: physical.socPct, solarKw: conditions.solarKw, loadKw: conditions.loadKw });
      agent = d.state;
      sendAcks(d.acks);
      const step = stepSite(spec, physical, conditions, d.setpointKw, dtMs);
      physical = step.state;
      const m = step.measurement;
      const r3 = (x: number): number => Math.round(x * 1000) / 1000;
      net?.sendTelemetry({
        seq: ++seq, measuredAtMs: tMs, socPct: r3(m.socPct), batteryKw: r3(m.batteryKw), solarKw: r3(m.solarKw), loadKw: r3(m.loadKw),
        gridKw: r3(m.gridKw), batteryTempC: r3(m.batteryTempC), mode: d.mode, alarms: m.batteryTempC > 45 ? ['BATTERY_HOT'] : [], activeCommandId: d.activeCommandId,
      });
    },
    onCommand(c, nowMs) {
      const r = onCommand(agent, c, nowMs);
      agent = r.state;
      sendAcks(r.acks);
    },
    onForecast(b, nowMs) {
      agent = onBundle(agent, b, nowMs).state;
    },
    attach(client) {
      net = client;
    },
    client: () => net,
    socPct: () => physical.socPct,
  };
};
