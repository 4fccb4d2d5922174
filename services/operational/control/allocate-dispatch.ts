/**
 * Allocation: a grid event becomes per-site battery setpoints, as a pure function of the sites'
 * current state, their limits and their customers' choices.
 *
 * Contract (kept by every plan, checked by property tests):
 * - a site's power is never above its capacity for the event: its power limit, and the power it
 *   can sustain for the whole window without leaving its floor (discharge) or passing full
 *   (charge); the floor is the higher of the site's backup reserve and its customer's reserve;
 * - dispatch, charge and demand peak share the target in proportion to each site's capacity, so
 *   the total meets the target whenever the sum of capacities can (else every site gives all it
 *   can and the shortfall is reported);
 * - offline sites, opted-out sites and sites excluded by the caller (they dropped out: rejected,
 *   went offline) get nothing, and their share goes to the others;
 * - storm watch and outage are protective: every site in scope that did not opt out gets a
 *   HOLD_RESERVE, online or not (the gateway delivers it when the device reconnects).
 */
import type { SiteCommand } from '../../platform/events.ts';

export interface SiteInput {
  readonly siteId: string;
  readonly online: boolean;
  /** State of charge now, percent; null when never measured (the site then offers nothing). */
  readonly socPct: number | null;
  /** Usable capacity, kWh; null when unknown (then only power limits apply). */
  readonly batteryKwh: number | null;
  readonly maxChargeKw: number;
  readonly maxDischargeKw: number;
  readonly backupReservePct: number;
  readonly weatherCellId: string | null;
  /** Battery power now, kW, + discharge. */
  readonly batteryKw: number;
  /** Grid exchange now, kW, + import. */
  readonly gridKw: number;
}

export interface CustomerChoice {
  /** Reserve the fleet may not dip below, percent; null: the site's own. */
  readonly reservePct: number | null;
  /** Events this site is opted out of. */
  readonly optedOutEventIds: ReadonlySet<string>;
}

export const EventIntents = {
  DISCHARGE: 'DISCHARGE',
  CHARGE: 'CHARGE',
  REDUCE_IMPORT: 'REDUCE_IMPORT',
  HOLD_FULL: 'HOLD_FULL',
  BACKUP: 'BACKUP',
} as const;
export type EventIntent = (typeof EventIntents)[keyof typeof EventIntents];

export interface AllocationRequest {
  readonly eventId: string;
  readonly intent: EventIntent;
  /** kW, >= 0: discharge or charge target; for REDUCE_IMPORT null means "all the import we can". */
  readonly targetKw: number | null;
  readonly startMs: number;
  readonly endMs: number;
  /** HOLD_FULL: only sites in these cells (empty: all). */
  readonly weatherCellIds: readonly string[];
}

export interface SiteShare {
  readonly siteId: string;
  readonly kind: SiteCommand['kind'];
  readonly powerKw: number;
  readonly reservePct: number | null;
  /** The most this site could have given (kW), for the property tests and the fulfillment view. */
  readonly capacityKw: number;
}

export interface Allocation {
  readonly shares: readonly SiteShare[];
  /** Sum of power of the shares, kW (0 for protective intents). */
  readonly allocatedKw: number;
  /** Target minus allocated when the fleet cannot meet it, kW. */
  readonly shortfallKw: number;
  /** Why sites got nothing: siteId -> reason. */
  readonly skipped: ReadonlyMap<string, string>;
}

const NO_CHOICE: CustomerChoice = { reservePct: null, optedOutEventIds: new Set() };
const hoursOf = (r: AllocationRequest): number => Math.max(r.endMs - r.startMs, 60_000) / 3_600_000;

/** The SoC the site must keep: its backup reserve or its customer's, whichever is higher. */
export const floorPct = (s: SiteInput, c: CustomerChoice): number => Math.min(100, Math.max(s.backupReservePct, c.reservePct ?? 0));

/** kW the site can discharge for the whole window without going below its floor. */
export const dischargeCapacityKw = (s: SiteInput, c: CustomerChoice, hours: number): number => {
  if (s.socPct === null) return 0;
  const abovePct = s.socPct - floorPct(s, c);
  if (abovePct <= 0) return 0;
  const byEnergy = s.batteryKwh === null ? Infinity : (abovePct / 100) * s.batteryKwh / hours;
  return Math.max(0, Math.min(s.maxDischargeKw, byEnergy));
};

/** kW the site can absorb for the whole window without passing full. */
export const chargeCapacityKw = (s: SiteInput, hours: number): number => {
  if (s.socPct === null || s.socPct >= 100) return 0;
  const byEnergy = s.batteryKwh === null ? Infinity : ((100 - s.socPct) / 100) * s.batteryKwh / hours;
  return Math.max(0, Math.min(s.maxChargeKw, byEnergy));
};

/** Shares target among capacities in proportion to them; never above a capacity. */
export const proportional = (capacities: readonly number[], targetKw: number): number[] => {
  const total = capacities.reduce((a, b) => a + b, 0);
  if (total <= 0 || targetKw <= 0) return capacities.map(() => 0);
  const ratio = Math.min(1, targetKw / total);
  return capacities.map((c) => c * ratio);
};

const round3 = (x: number): number => Math.floor(x * 1000) / 1000;

export const allocate = (
  req: AllocationRequest,
  sites: readonly SiteInput[],
  choices: ReadonlyMap<string, CustomerChoice>,
  excluded: ReadonlySet<string> = new Set(),
): Allocation => {
  const skipped = new Map<string, string>();
  const eligible: Array<{ site: SiteInput; choice: CustomerChoice }> = [];
  const protective = req.intent === 'HOLD_FULL' || req.intent === 'BACKUP';
  const cells = new Set(req.weatherCellIds);
  for (const site of sites) {
    const choice = choices.get(site.siteId) ?? NO_CHOICE;
    if (req.intent === 'HOLD_FULL' && cells.size > 0 && (site.weatherCellId === null || !cells.has(site.weatherCellId))) continue;
    if (choice.optedOutEventIds.has(req.eventId)) skipped.set(site.siteId, 'opted out by customer');
    else if (excluded.has(site.siteId)) skipped.set(site.siteId, 'dropped out');
    else if (!protective && !site.online) skipped.set(site.siteId, 'offline');
    else eligible.push({ site, choice });
  }

  if (protective) {
    const shares = eligible.map(({ site, choice }): SiteShare => ({
      siteId: site.siteId,
      kind: 'HOLD_RESERVE',
      // powerKw 0: the device charges toward the held reserve at its own full power.
      powerKw: 0,
      reservePct: req.intent === 'HOLD_FULL' ? 100 : floorPct(site, choice),
      capacityKw: 0,
    }));
    return { shares, allocatedKw: 0, shortfallKw: 0, skipped };
  }

  const hours = hoursOf(req);
  const capacity = ({ site, choice }: { site: SiteInput; choice: CustomerChoice }): number => {
    switch (req.intent) {
      case 'CHARGE':
        return chargeCapacityKw(site, hours);
      case 'REDUCE_IMPORT':
        // The setpoint that brings the site's import to zero, within what it can discharge.
        return Math.min(dischargeCapacityKw(site, choice, hours), Math.max(0, site.batteryKw + site.gridKw));
      default:
        return dischargeCapacityKw(site, choice, hours);
    }
  };
  const caps = eligible.map(capacity);
  const target = req.targetKw ?? caps.reduce((a, b) => a + b, 0);
  const powers = proportional(caps, target).map(round3);
  const shares: SiteShare[] = [];
  eligible.forEach(({ site, choice }, i) => {
    const powerKw = powers[i] ?? 0;
    const capacityKw = caps[i] ?? 0;
    if (powerKw <= 0) {
      skipped.set(site.siteId, capacityKw <= 0 ? 'no headroom' : 'not needed');
      return;
    }
    const kind = req.intent === 'CHARGE' ? 'CHARGE' : 'DISCHARGE';
    // A discharge names the floor it keeps only when the customer raised it above the site's own.
    const reservePct = kind === 'DISCHARGE' && choice.reservePct !== null && choice.reservePct > site.backupReservePct ? floorPct(site, choice) : null;
    shares.push({ siteId: site.siteId, kind, powerKw, reservePct, capacityKw });
  });
  const allocatedKw = shares.reduce((a, s) => a + s.powerKw, 0);
  // Rounding down each share to whole watts may leave up to 1 W per site unallocated: not a shortfall.
  // The shortfall is reported in whole watts too, so floating-point dust (1e-18 kW) is not one.
  const shortfallKw = Math.max(0, Math.round((target - allocatedKw - shares.length * 0.001) * 1000) / 1000);
  return { shares, allocatedKw, shortfallKw, skipped };
};
