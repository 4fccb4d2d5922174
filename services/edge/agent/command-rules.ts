/**
 * What a device does with a command, as pure rules.
 *
 * The reserve rule: the site's backup reserve is the floor for the planner and for
 * self-consumption. Only a DISCHARGE command that names its own reservePct may take the battery
 * below it, and never below the device's safety floor (minSafeSocPct): such a command is rejected
 * as unsafe. A DISCHARGE with reservePct null keeps the site's reserve. HOLD_RESERVE raises the
 * floor to its reservePct for its window (charging toward it), CHARGE charges, RELEASE ends the
 * active commands (those of its eventId when it has one, else all).
 *
 * A command is active from startMs until min(endMs, expiresAtMs); arriving at or after that it
 * is rejected as expired. A power above the device's limit is accepted and clamped, saying so.
 */
import type { SiteCommand } from '../../platform/events.ts';
import { err, ok, type Result } from '../../platform/result.ts';
import type { PlannerSpec } from './planner.ts';

export interface CommandLimits {
  readonly siteId: string;
  readonly spec: PlannerSpec;
  /** Nothing goes below this SoC, whatever a command says (percent). */
  readonly minSafeSocPct: number;
}

export interface AcceptedCommand {
  readonly command: SiteCommand;
  /** The power the device will apply, within its limits (kW, >= 0). */
  readonly powerKw: number;
  /** Why the power differs from the command's, or null. */
  readonly note: string | null;
}

/** When a command stops applying. */
export const commandEndMs = (c: SiteCommand): number => Math.min(c.endMs, c.expiresAtMs);

/** Accept (with the power to apply) or reject (with the reason) a command arriving at nowMs. */
export const checkCommand = (limits: CommandLimits, c: SiteCommand, nowMs: number): Result<AcceptedCommand, string> => {
  if (c.siteId !== limits.siteId) return err(`invalid: command for ${c.siteId}, this device serves ${limits.siteId}`);
  if (!Number.isFinite(c.powerKw) || c.powerKw < 0) return err(`invalid: powerKw must be a finite number >= 0, got ${c.powerKw}`);
  if (!(c.endMs > c.startMs)) return err(`invalid: endMs ${c.endMs} is not after startMs ${c.startMs}`);
  if (c.reservePct !== null && !(c.reservePct >= 0 && c.reservePct <= 100)) return err(`invalid: reservePct must be within 0..100, got ${c.reservePct}`);
  if (c.kind === 'HOLD_RESERVE' && c.reservePct === null) return err('invalid: HOLD_RESERVE needs a reservePct');
  if (nowMs >= commandEndMs(c)) return err(`expired: ended at ${commandEndMs(c)}, received at ${nowMs}`);
  if (c.kind === 'DISCHARGE' && c.reservePct !== null && c.reservePct < limits.minSafeSocPct) {
    return err(`unsafe: reservePct ${c.reservePct} is below the device's safety floor of ${limits.minSafeSocPct} %`);
  }
  const limit = c.kind === 'DISCHARGE' ? limits.spec.maxDischargeKw : c.kind === 'RELEASE' ? Infinity : limits.spec.maxChargeKw;
  const powerKw = Math.min(c.powerKw, limit);
  const note = powerKw < c.powerKw ? `powerKw ${c.powerKw} clamped to the device limit of ${limit} kW` : null;
  return ok({ command: c, powerKw, note });
};

export interface CommandControl {
  /** Requested battery power, +discharge / -charge (kW), before the safety clamp; null: follow the plan. */
  readonly requestKw: number | null;
  /** The SoC floor while the command applies (percent). */
  readonly floorPct: number;
  readonly mode: 'DISPATCH' | 'BACKUP';
}

/** How an active command drives the battery, given the site's net load (load - solar, kW). */
export const commandControl = (a: AcceptedCommand, spec: PlannerSpec, socPct: number, netLoadKw: number): CommandControl => {
  const c = a.command;
  switch (c.kind) {
    case 'DISCHARGE':
      return { requestKw: a.powerKw, floorPct: c.reservePct ?? spec.backupReservePct, mode: 'DISPATCH' };
    case 'CHARGE':
      return { requestKw: -a.powerKw, floorPct: spec.backupReservePct, mode: 'DISPATCH' };
    case 'HOLD_RESERVE': {
      const floorPct = Math.max(spec.backupReservePct, c.reservePct ?? 0);
      // Below the held reserve: charge toward it (at the command's power, or full power if 0);
      // above it: self-consumption that never dips under it.
      const requestKw = socPct < floorPct ? -(a.powerKw > 0 ? a.powerKw : spec.maxChargeKw) : netLoadKw;
      return { requestKw, floorPct, mode: 'BACKUP' };
    }
    case 'RELEASE':
      return { requestKw: null, floorPct: spec.backupReservePct, mode: 'DISPATCH' };
  }
};
