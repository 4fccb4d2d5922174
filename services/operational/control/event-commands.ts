/**
 * From grid events to site commands, purely: what an event asks of the fleet (its intent), the
 * commands of an allocation, and the RELEASE commands that end an event.
 *
 * Command ids are deterministic, `<eventId>.<round>.<siteId>`: a round is one allocation of the
 * event (0 at dispatch, then one per re-allocation), so a retried publish cannot double a command.
 * A command applies from the event's start (or now, when later) to its end; expiresAtMs is the
 * event's end, so a command delivered after its window is rejected by the device as expired and
 * never acts late.
 */
import type { GridEvent, SiteCommand } from '../../platform/events.ts';
import type { Allocation, AllocationRequest, EventIntent, SiteShare } from './allocate-dispatch.ts';

export const intentOf = (e: GridEvent): EventIntent | null => {
  switch (e.kind) {
    case 'VPP_DISPATCH':
      return (e.targetMw ?? 0) < 0 ? 'CHARGE' : 'DISCHARGE';
    case 'DEMAND_PEAK':
      return 'REDUCE_IMPORT';
    case 'STORM_WATCH':
      return 'HOLD_FULL';
    case 'OUTAGE':
      return 'BACKUP';
    case 'CANCEL':
      return null;
  }
};

/** The target in kW in the event's direction (charge events have a negative targetMw). */
export const targetKwOf = (e: GridEvent): number | null => (e.targetMw === null ? null : Math.abs(e.targetMw) * 1000);

export const directionOf = (e: GridEvent): 1 | -1 => (intentOf(e) === 'CHARGE' ? -1 : 1);

export const allocationRequestOf = (e: GridEvent): AllocationRequest | null => {
  const intent = intentOf(e);
  if (intent === null) return null;
  return { eventId: e.eventId, intent, targetKw: targetKwOf(e), startMs: e.startMs, endMs: e.endMs, weatherCellIds: e.weatherCellIds };
};

export const commandId = (eventId: string, round: number, siteId: string, kind = ''): string => `${eventId}.${round}${kind === 'RELEASE' ? 'r' : ''}.${siteId}`;

const commandOf = (e: GridEvent, round: number, share: SiteShare, nowMs: number): SiteCommand => ({
  commandId: commandId(e.eventId, round, share.siteId),
  eventId: e.eventId,
  siteId: share.siteId,
  kind: share.kind,
  powerKw: share.powerKw,
  reservePct: share.reservePct,
  startMs: Math.max(e.startMs, nowMs),
  endMs: e.endMs,
  expiresAtMs: e.endMs,
  issuedAtMs: nowMs,
});

export const commandsOf = (e: GridEvent, round: number, allocation: Allocation, nowMs: number): SiteCommand[] =>
  allocation.shares.map((s) => commandOf(e, round, s, nowMs));

/** RELEASE for each site: ends every command of the event there. */
export const releasesOf = (e: GridEvent, round: number, siteIds: Iterable<string>, nowMs: number): SiteCommand[] =>
  [...siteIds].map((siteId) => ({
    commandId: commandId(e.eventId, round, siteId, 'RELEASE'),
    eventId: e.eventId,
    siteId,
    kind: 'RELEASE' as const,
    powerKw: 0,
    reservePct: null,
    startMs: nowMs,
    // A release must still be in its window when it arrives, even for an event that just ended.
    endMs: Math.max(e.endMs, nowMs + 3_600_000),
    expiresAtMs: Math.max(e.endMs, nowMs + 3_600_000),
    issuedAtMs: nowMs,
  }));

/**
 * Re-allocation: commands for the sites whose share changed by more than toleranceKw. A site
 * whose share went away gets a RELEASE; a site with a new or changed share gets a RELEASE of its
 * old command (when it had one) then its new one, so a device never runs both.
 */
export const reallocationCommands = (
  e: GridEvent,
  round: number,
  current: ReadonlyMap<string, number>,
  next: Allocation,
  nowMs: number,
  toleranceKw = 0.05,
): SiteCommand[] => {
  const out: SiteCommand[] = [];
  const nextBySite = new Map(next.shares.map((s) => [s.siteId, s]));
  for (const [siteId, kw] of current) {
    const share = nextBySite.get(siteId);
    if (share === undefined || Math.abs(share.powerKw - kw) > toleranceKw) out.push(...releasesOf(e, round, [siteId], nowMs));
  }
  for (const share of next.shares) {
    const kw = current.get(share.siteId);
    if (kw === undefined || Math.abs(share.powerKw - kw) > toleranceKw) out.push(commandOf(e, round, share, nowMs));
  }
  return out;
};
