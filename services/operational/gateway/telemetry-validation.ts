/**
 * Range, clock and sequence checks of a parsed telemetry frame against what the gateway knows of
 * the device. Pure. Limits get a small tolerance for meter noise; anything past it is refused
 * with the value and the limit in the message.
 */
import type { Telemetry } from '../../platform/events.ts';
import { ok, type Result } from '../../platform/result.ts';
import type { DeviceInfo } from './device-directory.ts';
import { reject, type Rejection, type TelemetryFrame } from '../../platform/device-protocol.ts';

export interface ValidationContext {
  readonly device: DeviceInfo;
  /** Gateway clock (simulated time in a simulation), UTC epoch ms. */
  readonly nowMs: number;
  /** How far measuredAtMs may be ahead of nowMs (the device's clock running fast), ms. */
  readonly skewMs: number;
  /** How old a measurement may be: a device resends what it buffered while offline, ms. */
  readonly maxAgeMs: number;
  /** Whether this device's sequence number was accepted already (or is too old): see replay-window.ts. */
  readonly isReplay: (seq: number) => boolean;
}

const TOLERANCE = 1.05;
const MAX_LOAD_KW = 100;
const TEMP_RANGE_C: readonly [number, number] = [-40, 90];

export const validateTelemetry = (f: TelemetryFrame, ctx: ValidationContext): Result<Telemetry, Rejection> => {
  const { device } = ctx;
  if (ctx.isReplay(f.seq)) {
    return reject('REPLAYED', `seq ${f.seq} from ${device.deviceId} was accepted already (or is older than the replay window)`);
  }
  const skew = f.measuredAtMs - ctx.nowMs;
  if (skew > ctx.skewMs) {
    return reject('CLOCK_SKEW', `measuredAtMs is ${Math.round(skew / 1000)} s ahead of the gateway clock; at most ${ctx.skewMs / 1000} s is allowed`);
  }
  if (-skew > ctx.maxAgeMs) {
    return reject('CLOCK_SKEW', `measuredAtMs is ${Math.round(-skew / 1000)} s old; frames older than ${ctx.maxAgeMs / 1000} s are not taken`);
  }
  const problems: string[] = [];
  if (f.socPct < 0 || f.socPct > 100) problems.push(`socPct ${f.socPct} is outside 0..100`);
  if (f.batteryKw > device.maxDischargeKw * TOLERANCE) problems.push(`batteryKw ${f.batteryKw} exceeds the discharge limit ${device.maxDischargeKw} kW`);
  if (-f.batteryKw > device.maxChargeKw * TOLERANCE) problems.push(`batteryKw ${f.batteryKw} exceeds the charge limit ${device.maxChargeKw} kW`);
  const solarMax = Math.max(0.5, device.solarKwp * 1.2);
  if (f.solarKw < 0 || f.solarKw > solarMax) problems.push(`solarKw ${f.solarKw} is outside 0..${solarMax.toFixed(1)}`);
  if (f.loadKw < 0 || f.loadKw > MAX_LOAD_KW) problems.push(`loadKw ${f.loadKw} is outside 0..${MAX_LOAD_KW}`);
  if (Math.abs(f.gridKw) > MAX_LOAD_KW + device.maxDischargeKw + solarMax) problems.push(`gridKw ${f.gridKw} is beyond what the site can exchange`);
  if (f.batteryTempC < TEMP_RANGE_C[0] || f.batteryTempC > TEMP_RANGE_C[1]) problems.push(`batteryTempC ${f.batteryTempC} is outside ${TEMP_RANGE_C[0]}..${TEMP_RANGE_C[1]}`);
  if (problems.length > 0) return reject('OUT_OF_RANGE', problems.join('; '));
  return ok({
    deviceId: device.deviceId, siteId: device.siteId, seq: f.seq, measuredAtMs: f.measuredAtMs, receivedAtMs: ctx.nowMs,
    socPct: f.socPct, batteryKw: f.batteryKw, solarKw: f.solarKw, loadKw: f.loadKw, gridKw: f.gridKw, batteryTempC: f.batteryTempC,
    mode: f.mode, alarms: [...f.alarms], activeCommandId: f.activeCommandId,
  });
};
