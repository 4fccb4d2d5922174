/**
 * The events control knows, with their allocation and fulfillment, and the customers' choices.
 * Everything here is rebuilt from Kafka records (grid.events.v1, control.commands.v1,
 * control.acks.v1, asset.state.v1) by applying them in any order and any number of times, so an
 * instance that restarts (or reads its own records back) ends in the same place.
 */
import type { AssetState, CommandAck, CustomerChoices, GridEvent, SiteCommand } from '../../platform/events.ts';
import type { CustomerChoice } from './allocate-dispatch.ts';
import { directionOf, intentOf, targetKwOf } from './event-commands.ts';
import { createFulfillment, onAck, onCommand, onSiteMeasurement, onSiteOnline, viewOf, type Fulfillment, type FulfillmentView } from './fulfillment.ts';

export interface EventEntry {
  event: GridEvent;
  cancelledAtMs: number | null;
  cancelledBy: string | null;
  /** Next allocation round (one more than the highest seen in a command id). */
  round: number;
  /** Current power per site (kW), from the commands in force for this event. */
  shares: Map<string, number>;
  /** Sites that dropped out (rejected or went offline) when the event was last re-allocated. */
  dropped: Set<string>;
  shortfallKw: number;
  fulfillment: Fulfillment;
}

export interface EventBook {
  readonly events: Map<string, EventEntry>;
  readonly choices: Map<string, { reservePct: number | null; optedOutEventIds: Set<string> }>;
  /** Acks seen before their command (topics are read side by side), applied when it arrives. */
  readonly earlyAcks: Map<string, CommandAck[]>;
  /** Commands read before their event (the topics are read side by side), by event id. */
  readonly earlyCommands: Map<string, SiteCommand[]>;
  /** CANCELs read before the event they cancel (grid.events.v1 has several partitions). */
  readonly earlyCancels: Map<string, GridEvent>;
  /**
   * The events each site has a command in that may still measure it: a site state touches only
   * these, never every event in the book. Pruned as states arrive after an event is over.
   */
  readonly bySite: Map<string, EventEntry[]>;
}

export const createEventBook = (): EventBook => ({ events: new Map(), choices: new Map(), earlyAcks: new Map(), earlyCommands: new Map(), earlyCancels: new Map(), bySite: new Map() });

export const applyGridEvent = (b: EventBook, e: GridEvent): void => {
  if (e.kind === 'CANCEL') {
    const target = e.cancelsEventId === null ? undefined : b.events.get(e.cancelsEventId);
    if (target === undefined && e.cancelsEventId !== null) b.earlyCancels.set(e.cancelsEventId, e);
    if (target !== undefined && target.cancelledAtMs === null) {
      target.cancelledAtMs = e.issuedAtMs;
      target.cancelledBy = e.issuedBy;
    }
    return;
  }
  if (b.events.has(e.eventId) || intentOf(e) === null) return;
  b.events.set(e.eventId, {
    event: e, cancelledAtMs: null, cancelledBy: null, round: 0, shares: new Map(), dropped: new Set(), shortfallKw: 0,
    fulfillment: createFulfillment(e.eventId, targetKwOf(e), directionOf(e)),
  });
  for (const c of b.earlyCommands.get(e.eventId) ?? []) applyCommand(b, c);
  b.earlyCommands.delete(e.eventId);
  const early = b.earlyCancels.get(e.eventId);
  if (early !== undefined) {
    b.earlyCancels.delete(e.eventId);
    applyGridEvent(b, early);
  }
};

const roundOf = (c: SiteCommand): number => {
  const rest = c.eventId === null ? '' : c.commandId.slice(c.eventId.length + 1);
  const n = Number.parseInt(rest, 10);
  return Number.isFinite(n) ? n : 0;
};

export const applyCommand = (b: EventBook, c: SiteCommand): void => {
  if (c.eventId === null) return;
  const entry = b.events.get(c.eventId);
  if (entry === undefined) {
    // Pushed, not copied: a standby can read a whole fleet's commands before their event.
    const early = b.earlyCommands.get(c.eventId);
    if (early !== undefined) early.push(c);
    else if (b.earlyCommands.size < 100_000) b.earlyCommands.set(c.eventId, [c]);
    return;
  }
  if (entry.fulfillment.commands.has(c.commandId)) return;
  const known = entry.fulfillment.sites.has(c.siteId);
  entry.fulfillment = onCommand(entry.fulfillment, c);
  if (!known && entry.fulfillment.sites.has(c.siteId)) {
    const list = b.bySite.get(c.siteId);
    if (list === undefined) b.bySite.set(c.siteId, [entry]);
    else list.push(entry);
  }
  entry.round = Math.max(entry.round, roundOf(c) + 1);
  if (c.kind === 'RELEASE') entry.shares.delete(c.siteId);
  else entry.shares.set(c.siteId, c.powerKw);
  for (const a of b.earlyAcks.get(c.commandId) ?? []) entry.fulfillment = onAck(entry.fulfillment, a);
  b.earlyAcks.delete(c.commandId);
};

/** The event a command id belongs to: `<eventId>.<round>.<siteId>`. */
const eventIdOf = (b: EventBook, commandId: string): string | undefined => {
  let i = commandId.indexOf('.');
  while (i > 0) {
    const id = commandId.slice(0, i);
    if (b.events.has(id)) return id;
    i = commandId.indexOf('.', i + 1);
  }
  return undefined;
};

export const applyAck = (b: EventBook, a: CommandAck): void => {
  const eventId = eventIdOf(b, a.commandId);
  const entry = eventId === undefined ? undefined : b.events.get(eventId);
  if (entry === undefined || !entry.fulfillment.commands.has(a.commandId)) {
    if (b.earlyAcks.size < 100_000) b.earlyAcks.set(a.commandId, [...(b.earlyAcks.get(a.commandId) ?? []), a]);
    return;
  }
  entry.fulfillment = onAck(entry.fulfillment, a);
};

/** A site's state: measured response and online status of the events it is in (O(its events)). */
export const applySiteState = (b: EventBook, s: AssetState, sampleEveryMs: number): void => {
  if (s.kind !== 'SITE') return;
  const list = b.bySite.get(s.assetId);
  if (list === undefined) return;
  let over = 0;
  for (const entry of list) {
    if (entry.cancelledAtMs !== null || s.updatedAtMs > entry.event.endMs + sampleEveryMs) {
      over++;
      continue;
    }
    entry.fulfillment = onSiteOnline(entry.fulfillment, s.assetId, s.online);
    entry.fulfillment = onSiteMeasurement(entry.fulfillment, s.assetId, s.aggregate.batteryKw, s.updatedAtMs, sampleEveryMs);
  }
  if (over === 0) return;
  const live = list.filter((e) => !(e.cancelledAtMs !== null || s.updatedAtMs > e.event.endMs + sampleEveryMs));
  if (live.length === 0) b.bySite.delete(s.assetId);
  else b.bySite.set(s.assetId, live);
};

export const choiceOf = (b: EventBook, siteId: string): { reservePct: number | null; optedOutEventIds: Set<string> } => {
  const c = b.choices.get(siteId) ?? { reservePct: null, optedOutEventIds: new Set<string>() };
  b.choices.set(siteId, c);
  return c;
};

export const choicesView = (b: EventBook): ReadonlyMap<string, CustomerChoice> => b.choices;

/** A site's choices as the record control.choices.v1 keeps (pure). */
export const choicesRecord = (siteId: string, c: { reservePct: number | null; optedOutEventIds: ReadonlySet<string> }, nowMs: number, who: string): CustomerChoices => ({
  siteId, reservePct: c.reservePct, optedOutEventIds: [...c.optedOutEventIds].sort(), updatedAtMs: nowMs, updatedBy: who,
});

/** Applies a control.choices.v1 record (null: a tombstone, the site's choices are gone). */
export const applyChoices = (b: EventBook, siteId: string, r: CustomerChoices | null): void => {
  if (r === null) b.choices.delete(siteId);
  else b.choices.set(siteId, { reservePct: r.reservePct, optedOutEventIds: new Set(r.optedOutEventIds) });
};

export type EventStatus = 'SCHEDULED' | 'ACTIVE' | 'ENDED' | 'CANCELLED';

export const statusOf = (e: EventEntry, nowMs: number): EventStatus =>
  e.cancelledAtMs !== null ? 'CANCELLED' : nowMs >= e.event.endMs ? 'ENDED' : nowMs < e.event.startMs ? 'SCHEDULED' : 'ACTIVE';

export interface EventSummary {
  readonly event: GridEvent;
  readonly status: EventStatus;
  readonly cancelledBy: string | null;
  readonly allocatedKw: number;
  readonly shortfallKw: number;
  readonly sites: number;
}

export const summaryOf = (e: EventEntry, nowMs: number): EventSummary => ({
  event: e.event,
  status: statusOf(e, nowMs),
  cancelledBy: e.cancelledBy,
  allocatedKw: [...e.shares.values()].reduce((a, b) => a + b, 0),
  shortfallKw: e.shortfallKw,
  sites: e.shares.size,
});

export const detailOf = (e: EventEntry, nowMs: number): EventSummary & { fulfillment: FulfillmentView; dropped: string[] } => ({
  ...summaryOf(e, nowMs),
  dropped: [...e.dropped].sort(),
  fulfillment: viewOf(e.fulfillment, nowMs),
});
