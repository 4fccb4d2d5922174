/**
 * The Aggregate record's arithmetic and a device's own contribution. Units are in the field names
 * (kW, kWh); counts are integers. A parent's aggregate is always the plain sum of its children's.
 */
import type { Aggregate } from '../../platform/events.ts';

export const AGGREGATE_FIELDS = [
  'availableEnergyKwh', 'chargeHeadroomKw', 'dischargeHeadroomKw', 'solarKw', 'loadKw', 'gridKw', 'batteryKw', 'onlineCount', 'deviceCount', 'alarmCount',
] as const satisfies ReadonlyArray<keyof Aggregate>;

export const zeroAggregate = (): Aggregate => ({
  availableEnergyKwh: 0, chargeHeadroomKw: 0, dischargeHeadroomKw: 0, solarKw: 0, loadKw: 0, gridKw: 0, batteryKw: 0, onlineCount: 0, deviceCount: 0, alarmCount: 0,
});

const combine = (a: Aggregate, b: Aggregate, sign: 1 | -1): Aggregate => {
  const out = zeroAggregate();
  for (const f of AGGREGATE_FIELDS) out[f] = a[f] + sign * b[f];
  return out;
};

export const addAggregates = (a: Aggregate, b: Aggregate): Aggregate => combine(a, b, 1);
export const subtractAggregates = (a: Aggregate, b: Aggregate): Aggregate => combine(a, b, -1);

export const sumAggregates = (list: Iterable<Aggregate>): Aggregate => {
  const out = zeroAggregate();
  for (const a of list) for (const f of AGGREGATE_FIELDS) out[f] += a[f];
  return out;
};

export const sameAggregate = (a: Aggregate, b: Aggregate): boolean => AGGREGATE_FIELDS.every((f) => a[f] === b[f]);

/** Battery limits of one device (from its registry record, falling back to its site's). */
export interface DeviceLimits {
  readonly batteryKwh: number;
  readonly maxChargeKw: number;
  readonly maxDischargeKw: number;
  readonly backupReservePct: number;
}

export const NO_LIMITS: DeviceLimits = Object.freeze({ batteryKwh: 0, maxChargeKw: 0, maxDischargeKw: 0, backupReservePct: 0 });

/** What the device last measured, as the aggregate needs it. */
export interface Measured {
  readonly socPct: number;
  readonly batteryKw: number;
  readonly solarKw: number;
  readonly loadKw: number;
  readonly gridKw: number;
  readonly alarmCount: number;
}

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

/**
 * A device's contribution. Online: energy above the backup reserve; headroom is how far the
 * battery's power can still move in each direction from what it does now (batteryKw: + discharge,
 * - charge), zero when full (charge) or at the reserve (discharge). Offline: nothing can be
 * dispatched and nothing is measured, so every flow and headroom is 0; the device still counts in
 * deviceCount and its last alarms in alarmCount.
 */
export const deviceAggregate = (m: Measured | null, limits: DeviceLimits, online: boolean): Aggregate => {
  const a = zeroAggregate();
  a.deviceCount = 1;
  a.alarmCount = m?.alarmCount ?? 0;
  if (!online || m === null) return a;
  const soc = clamp(m.socPct, 0, 100);
  a.onlineCount = 1;
  a.availableEnergyKwh = Math.max(0, ((soc - limits.backupReservePct) / 100) * limits.batteryKwh);
  a.chargeHeadroomKw = soc >= 100 ? 0 : Math.max(0, limits.maxChargeKw + m.batteryKw);
  a.dischargeHeadroomKw = soc <= limits.backupReservePct ? 0 : Math.max(0, limits.maxDischargeKw - m.batteryKw);
  a.solarKw = m.solarKw;
  a.loadKw = m.loadKw;
  a.gridKw = m.gridKw;
  a.batteryKw = m.batteryKw;
  return a;
};
