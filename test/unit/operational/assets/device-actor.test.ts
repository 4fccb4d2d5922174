import { describe, expect, it } from 'vitest';
import type { Telemetry } from '../../../../services/platform/events.ts';
import { deviceAggregate } from '../../../../services/operational/assets/aggregate.ts';
import { applyTelemetry, markStale, siteFromDevices } from '../../../../services/operational/assets/device-actor.ts';

const limits = { batteryKwh: 10, maxChargeKw: 5, maxDischargeKw: 4, backupReservePct: 20 };
const frame = (seq: number, extra: Partial<Telemetry> = {}): Telemetry => ({
  deviceId: 'dev-1', siteId: 'site-1', seq, measuredAtMs: 1_000, receivedAtMs: 1_000, socPct: 70, batteryKw: 1, solarKw: 3, loadKw: 2, gridKw: -2,
  batteryTempC: 20, mode: 'SELF_CONSUMPTION', alarms: [], activeCommandId: null, ...extra,
});

describe('device actor', () => {
  it('derives energy above reserve and headroom from the frame and the limits', () => {
    const out = applyTelemetry(undefined, frame(1), limits, 1_000, 60_000);
    if (out.kind !== 'applied') throw new Error('not applied');
    expect(out.state.aggregate.availableEnergyKwh).toBeCloseTo(5); // (70 - 20) % of 10 kWh
    expect(out.state.aggregate.dischargeHeadroomKw).toBe(3); // 4 kW limit, 1 kW already discharging
    expect(out.state.aggregate.chargeHeadroomKw).toBe(6); // from +1 kW to -5 kW
    expect(out.state).toMatchObject({ version: 1, lastSeq: 1, online: true, socPct: 70 });
  });

  it('drops a frame whose seq is not above lastSeq (a replay)', () => {
    const first = applyTelemetry(undefined, frame(5), limits, 1_000, 60_000);
    if (first.kind !== 'applied') throw new Error('not applied');
    expect(applyTelemetry(first.state, frame(5, { socPct: 10 }), limits, 2_000, 60_000).kind).toBe('replay');
    expect(applyTelemetry(first.state, frame(3), limits, 2_000, 60_000).kind).toBe('replay');
    expect(applyTelemetry(first.state, frame(6), limits, 2_000, 60_000).kind).toBe('applied');
  });

  it('has no discharge headroom at the reserve and no charge headroom when full', () => {
    expect(deviceAggregate({ socPct: 20, batteryKw: 0, solarKw: 0, loadKw: 0, gridKw: 0, alarmCount: 0 }, limits, true).dischargeHeadroomKw).toBe(0);
    expect(deviceAggregate({ socPct: 100, batteryKw: 0, solarKw: 0, loadKw: 0, gridKw: 0, alarmCount: 0 }, limits, true).chargeHeadroomKw).toBe(0);
  });

  it('goes offline after the staleness window, keeping its device and alarm counts', () => {
    const out = applyTelemetry(undefined, frame(1, { alarms: ['HIGH_TEMP'] }), limits, 1_000, 10_000);
    if (out.kind !== 'applied') throw new Error('not applied');
    expect(markStale(out.state, 10_999, 10_000)).toBeNull();
    const stale = markStale(out.state, 11_000, 10_000);
    expect(stale).toMatchObject({ online: false, version: 2 });
    expect(stale?.aggregate).toMatchObject({ onlineCount: 0, deviceCount: 1, alarmCount: 1, solarKw: 0, availableEnergyKwh: 0 });
    expect(stale === null ? null : markStale(stale, 20_000, 10_000)).toBeNull();
  });

  it('a site is the sum of its devices and only changes version when something changed', () => {
    const a = applyTelemetry(undefined, frame(1), limits, 1_000, 60_000);
    const b = applyTelemetry(undefined, frame(1, { deviceId: 'dev-2', socPct: 30, activeCommandId: 'cmd-1' }), limits, 1_000, 60_000);
    if (a.kind !== 'applied' || b.kind !== 'applied') throw new Error('not applied');
    const site = siteFromDevices(undefined, 'site-1', [a.state, b.state], 1_000);
    expect(site).toMatchObject({ kind: 'SITE', version: 1, socPct: 50, online: true, activeCommandIds: ['cmd-1'] });
    expect(site?.aggregate.deviceCount).toBe(2);
    expect(site?.aggregate.solarKw).toBe(6);
    expect(siteFromDevices(site ?? undefined, 'site-1', [a.state, b.state], 2_000)).toBeNull();
  });
});
