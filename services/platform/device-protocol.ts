/**
 * Device protocol v1 (docs/device-protocol.md): JSON text frames over a WebSocket (push mode) or
 * JSON bodies over HTTP (poll mode). This module holds the frame shapes and the rejection codes;
 * it parses untrusted text into a typed frame or a Rejection, and never throws.
 */
import type { CommandAck, ForecastBundle, OperatingMode, SiteCommand } from './events.ts';
import { err, ok, type Result } from './result.ts';

export const PROTOCOL_VERSION = 1;

/** Why a frame or a connection was refused. Stable: devices and dashboards key on them. */
export const RejectCodes = {
  MALFORMED: 'the frame is not a JSON object',
  OVERSIZED: 'the frame is larger than the size limit',
  SCHEMA_INVALID: 'a field is missing or has the wrong type',
  OUT_OF_RANGE: 'a value is outside its physical or configured range',
  CLOCK_SKEW: 'the measurement time is too far from the gateway clock',
  REPLAYED: 'the sequence number was accepted already, or is older than the replay window',
  SEQ_JUMP: 'the sequence number jumps further ahead than the gateway allows (GATEWAY_MAX_SEQ_JUMP)',
  TOO_MANY_CONNECTIONS: 'the device has as many open connections as it may have',
  THROTTLED: 'the device sends faster than its rate limit',
  UNAUTHENTICATED: 'no valid credential',
  REVOKED: 'the credential was revoked',
  UNKNOWN_DEVICE: 'the device is not registered (yet)',
  FORBIDDEN: 'the device may not do this',
  UNAVAILABLE: 'the platform cannot take the frame now; resend it later',
} as const;
export type RejectCode = keyof typeof RejectCodes;

export interface Rejection {
  readonly code: RejectCode;
  readonly message: string;
}

export const reject = (code: RejectCode, message: string): Result<never, Rejection> => err({ code, message });

const MODES: readonly OperatingMode[] = ['SELF_CONSUMPTION', 'COST_OPTIMIZED', 'BACKUP', 'DISPATCH', 'IDLE', 'FAULT'];
const ACK_STATUSES: readonly CommandAck['status'][] = ['ACCEPTED', 'REJECTED', 'COMPLETED'];

/** A telemetry frame as the device sends it: identity is not in it, it comes from the credential. */
export interface TelemetryFrame {
  readonly type: 'telemetry';
  readonly seq: number;
  readonly measuredAtMs: number;
  readonly socPct: number;
  readonly batteryKw: number;
  readonly solarKw: number;
  readonly loadKw: number;
  readonly gridKw: number;
  readonly batteryTempC: number;
  readonly mode: OperatingMode;
  readonly alarms: readonly string[];
  readonly activeCommandId: string | null;
}

export interface AckFrame {
  readonly type: 'ack';
  readonly commandId: string;
  readonly status: 'ACCEPTED' | 'REJECTED' | 'COMPLETED';
  readonly reason: string | null;
  readonly ackedAtMs: number;
}

export interface PingFrame {
  readonly type: 'ping';
}

export type DeviceFrame = TelemetryFrame | AckFrame | PingFrame;

/** Frames the gateway sends. */
export type GatewayFrame =
  | { type: 'welcome'; protocol: number; deviceId: string; siteId: string; serverTimeMs: number }
  | { type: 'telemetry.accepted'; seq: number }
  /** ack: which acknowledgement was refused, so a device can resend it after UNAVAILABLE or THROTTLED. */
  | { type: 'error'; code: RejectCode; message: string; seq: number | null; ack?: { commandId: string; status: AckFrame['status'] } }
  | { type: 'command'; command: SiteCommand }
  | { type: 'forecast'; bundle: ForecastBundle }
  | { type: 'pong'; serverTimeMs: number };

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const finite = (o: Obj, k: string, problems: string[]): number => {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isFinite(v)) problems.push(`${k} must be a finite number`);
  return typeof v === 'number' ? v : NaN;
};

const parseTelemetry = (o: Obj): Result<TelemetryFrame, Rejection> => {
  const problems: string[] = [];
  const seq = finite(o, 'seq', problems);
  if (Number.isFinite(seq) && (!Number.isSafeInteger(seq) || seq < 0)) problems.push('seq must be a non-negative integer');
  const measuredAtMs = finite(o, 'measuredAtMs', problems);
  const nums = ['socPct', 'batteryKw', 'solarKw', 'loadKw', 'gridKw', 'batteryTempC'] as const;
  const values = Object.fromEntries(nums.map((k) => [k, finite(o, k, problems)])) as Record<(typeof nums)[number], number>;
  const mode = o['mode'];
  if (typeof mode !== 'string' || !MODES.includes(mode as OperatingMode)) problems.push(`mode must be one of ${MODES.join(', ')}`);
  const alarms = o['alarms'] ?? [];
  if (!Array.isArray(alarms) || alarms.length > 32 || !alarms.every((a) => typeof a === 'string' && a.length <= 64)) {
    problems.push('alarms must be at most 32 strings of at most 64 characters');
  }
  const cmd = o['activeCommandId'] ?? null;
  if (cmd !== null && (typeof cmd !== 'string' || cmd.length > 128)) problems.push('activeCommandId must be a string or null');
  for (const k of ['deviceId', 'siteId']) if (k in o) problems.push(`${k} must not be sent: identity comes from the credential`);
  if (problems.length > 0) return reject('SCHEMA_INVALID', problems.join('; '));
  return ok({
    type: 'telemetry', seq, measuredAtMs, ...values, mode: mode as OperatingMode,
    alarms: alarms as string[], activeCommandId: cmd as string | null,
  });
};

const parseAck = (o: Obj): Result<AckFrame, Rejection> => {
  const problems: string[] = [];
  const { commandId, status, reason, ackedAtMs } = o;
  if (typeof commandId !== 'string' || commandId.length === 0 || commandId.length > 128) problems.push('commandId must be a non-empty string');
  if (typeof status !== 'string' || !ACK_STATUSES.includes(status as AckFrame['status'])) problems.push(`status must be one of ${ACK_STATUSES.join(', ')}`);
  if (reason !== undefined && reason !== null && (typeof reason !== 'string' || reason.length > 512)) problems.push('reason must be a string or null');
  if (typeof ackedAtMs !== 'number' || !Number.isFinite(ackedAtMs)) problems.push('ackedAtMs must be a finite number');
  if (problems.length > 0) return reject('SCHEMA_INVALID', problems.join('; '));
  return ok({ type: 'ack', commandId: commandId as string, status: status as AckFrame['status'], reason: (reason as string | null | undefined) ?? null, ackedAtMs: ackedAtMs as number });
};

/** Parses one frame of untrusted input. The size is checked before anything is parsed. */
export const parseDeviceFrame = (text: string, maxBytes: number): Result<DeviceFrame, Rejection> => {
  const size = Buffer.byteLength(text, 'utf8');
  if (size > maxBytes) return reject('OVERSIZED', `frame is ${size} bytes; the limit is ${maxBytes}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return reject('MALFORMED', `not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  return parseDeviceValue(value);
};

export const parseDeviceValue = (value: unknown): Result<DeviceFrame, Rejection> => {
  if (!isObj(value)) return reject('MALFORMED', 'a frame must be a JSON object');
  switch (value['type']) {
    case 'telemetry':
      return parseTelemetry(value);
    case 'ack':
      return parseAck(value);
    case 'ping':
      return ok({ type: 'ping' });
    default:
      return reject('SCHEMA_INVALID', `type must be telemetry, ack or ping (got ${JSON.stringify(value['type'])?.slice(0, 40)})`);
  }
};
