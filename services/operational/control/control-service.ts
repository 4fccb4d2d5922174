/**
 * Control's use cases, with their effects passed in: create an event (grid.events.v1 first, then
 * its commands on control.commands.v1), cancel one (a CANCEL event, then RELEASE commands),
 * customers' opt-outs and reserves, re-allocation when sites drop out, and taking over from a
 * leader that died mid-dispatch. What is published is applied to the book at once; control's
 * feeds skip its own commands rather than decode them back.
 *
 * Only the leader mutates (docs/control.md, leadership): a standby answers CTRL_NOT_LEADER.
 */
import type { Clock } from '../../platform/clock.ts';
import type { GridEvent, SiteCommand } from '../../platform/events.ts';
import type { TopicWriter } from '../../platform/topic-writer.ts';
import type { Logger } from '../../platform/logger.ts';
import { err, ok, type Result } from '../../platform/result.ts';
import { TopicNames } from '../../platform/topics.ts';
import { allocate } from './allocate-dispatch.ts';
import type { Principal } from './auth.ts';
import type { CommandWriter } from './command-writer.ts';
import type { ControlErrorCode, Failure } from './control-errors.ts';
import { allocationRequestOf, commandsOf, reallocationCommands, releasesOf } from './event-commands.ts';
import { applyChoices, applyCommand, applyGridEvent, choiceOf, choicesRecord, choicesView, detailOf, statusOf, summaryOf, type EventBook, type EventEntry } from './event-book.ts';
import { cancelEventOf, parseEventRequest } from './event-request.ts';
import type { ReadModel } from './read-model.ts';
import type { ScopeIndex } from './scope-index.ts';

export interface ServiceDeps {
  /** Events and choices (one record at a time, on a writer of their own). */
  readonly writer: TopicWriter;
  readonly commands: CommandWriter;
  /** Event and command times (simulated in a simulation). */
  readonly clock: Clock;
  readonly newId: () => string;
  readonly logger: Logger;
  readonly model: ReadModel;
  readonly scopes: ScopeIndex;
  readonly book: EventBook;
  /** Whether this instance leads now (default: always, a single instance). */
  readonly isLeader?: () => boolean;
  /**
   * The least time a window must have left for its commands to reach the devices (ms of the
   * event clock): a dispatch ending sooner is refused with CTRL_WINDOW_ENDED.
   */
  readonly minDeliveryMs?: number;
}

export type { Failure };

const fail = (code: ControlErrorCode, message: string): Result<never, Failure> => err({ code, message });

export const createControlService = (deps: ServiceDeps) => {
  const { book, scopes } = deps;
  const isLeader = deps.isLeader ?? (() => true);
  const minDeliveryMs = deps.minDeliveryMs ?? 0;
  const notLeader = (): Result<never, Failure> => fail('CTRL_NOT_LEADER', 'this control instance is the standby; send mutations to the leader');
  /** Whether a window ending at endMs still leaves time to deliver its commands. */
  const deliverable = (endMs: number): boolean => endMs - deps.clock.now() >= minDeliveryMs;
  const windowEnded = (e: GridEvent): Result<never, Failure> =>
    fail('CTRL_WINDOW_ENDED', `the window of ${e.eventId} ends at ${new Date(e.endMs).toISOString()}, ${Math.max(0, e.endMs - deps.clock.now())} ms from now: too soon for its commands to reach the devices (at least ${minDeliveryMs} ms)`);

  const publishEvent = async (e: GridEvent): Promise<void> => {
    await deps.writer.publish(TopicNames.gridEvents, [{ key: e.eventId, value: e }]);
    applyGridEvent(book, e);
  };
  const publishCommands = async (cmds: readonly SiteCommand[]): Promise<void> => {
    if (cmds.length === 0) return;
    await deps.commands.publish(cmds);
    for (const c of cmds) applyCommand(book, c);
  };

  /** A customer's choices are stored on control.choices.v1 first (so a restart keeps them), then applied. */
  const publishChoices = async (siteId: string, next: { reservePct: number | null; optedOutEventIds: ReadonlySet<string> }, who: Principal): Promise<void> => {
    const record = choicesRecord(siteId, next, deps.clock.now(), who.name);
    await deps.writer.publish(TopicNames.controlChoices, [{ key: siteId, value: record }]);
    applyChoices(book, siteId, record);
  };

  // Mutations run one at a time (HTTP requests and the re-allocation timer), so two allocations
  // of one event never interleave.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn);
    chain = run.catch(() => undefined);
    return run;
  };

  const isProtective = (e: EventEntry): boolean => e.event.kind === 'STORM_WATCH' || e.event.kind === 'OUTAGE';

  /**
   * Sites of an event that are out now: their latest command was rejected, or they are offline.
   * A site that dropped out for being offline and is online again is back in. Kept by the book as
   * acks and states arrive, so this costs the dropouts, not the fleet.
   */
  const droppedOf = (entry: EventEntry): Set<string> => {
    if (isProtective(entry)) return new Set(entry.dropped);
    const f = entry.fulfillment;
    const out = new Set(f.rejectedSites);
    for (const siteId of f.offlineSites) if (entry.shares.has(siteId) || entry.dropped.has(siteId)) out.add(siteId);
    return out;
  };

  const sameSet = (a: ReadonlySet<string>, b: ReadonlySet<string>): boolean => a.size === b.size && [...a].every((x) => b.has(x));

  /** Allocates (again) an event over the sites in its scope now, publishing what changed. */
  const reallocate = async (entry: EventEntry, why: string): Promise<number> => {
    const req = allocationRequestOf(entry.event);
    if (req === null) return 0;
    const now = deps.clock.now();
    const allocation = allocate(req, scopes.inputsUnder(entry.event.scopeAssetId), choicesView(book), entry.dropped);
    const round = entry.round;
    const cmds = round === 0 ? commandsOf(entry.event, round, allocation, now) : reallocationCommands(entry.event, round, entry.shares, allocation, now);
    entry.shortfallKw = allocation.shortfallKw;
    await publishCommands(cmds);
    entry.round = Math.max(entry.round, round + 1);
    deps.logger.info('allocated', { eventId: entry.event.eventId, round, why, commands: cmds.length, allocatedKw: allocation.allocatedKw, shortfallKw: allocation.shortfallKw });
    return cmds.length;
  };

  /**
   * Finishes what a leader that died mid-write left: for each live event, the sites the last round
   * did not reach get commands of that same round (the same ids a retry would write, so a site the
   * old leader did reach is never sent a second one), over the target the reached sites do not
   * cover yet; a cancel whose RELEASEs were cut short releases the rest.
   */
  const completeRound = async (entry: EventEntry): Promise<number> => {
    const now = deps.clock.now();
    const status = statusOf(entry, now);
    if (status === 'CANCELLED') {
      if (entry.shares.size === 0 || now >= entry.event.endMs + 3_600_000) return 0;
      const releases = releasesOf(entry.event, entry.round, [...entry.shares.keys()], now);
      await publishCommands(releases);
      entry.round++;
      return releases.length;
    }
    if (status !== 'ACTIVE' && status !== 'SCHEDULED') return 0;
    if (entry.round === 0) return deliverable(entry.event.endMs) ? reallocate(entry, 'first allocation after takeover') : 0;
    const req = allocationRequestOf(entry.event);
    if (req === null) return 0;
    entry.dropped = droppedOf(entry);
    const excluded = new Set([...entry.dropped, ...entry.shares.keys()]);
    let given = 0;
    for (const kw of entry.shares.values()) given += kw;
    const rest = req.targetKw === null ? null : Math.max(0, req.targetKw - given);
    const allocation = allocate({ ...req, targetKw: rest }, scopes.inputsUnder(entry.event.scopeAssetId), choicesView(book), excluded);
    const cmds = commandsOf(entry.event, entry.round - 1, allocation, now);
    entry.shortfallKw = allocation.shortfallKw;
    await publishCommands(cmds);
    deps.logger.info('round completed after takeover', { eventId: entry.event.eventId, round: entry.round - 1, commands: cmds.length, reached: entry.shares.size - cmds.length });
    return cmds.length;
  };

  return {
    createEvent: (who: Principal, body: unknown): Promise<Result<ReturnType<typeof detailOf>, Failure>> => serial(async () => {
      if (!isLeader()) return notLeader();
      const now = deps.clock.now();
      const parsed = parseEventRequest(body, { eventId: `evt-${deps.newId()}`, issuedBy: who.name, nowMs: now });
      if (!parsed.ok) return fail('INVALID_EVENT', parsed.error.join('; '));
      const e = parsed.value;
      if (!deps.model.defs.has(e.scopeAssetId)) return fail('UNKNOWN_SCOPE', `asset ${e.scopeAssetId} is not in the registry`);
      if (!deliverable(e.endMs)) return windowEnded(e);
      await publishEvent(e);
      const entry = book.events.get(e.eventId);
      if (entry === undefined) return fail('INTERNAL', 'event not recorded');
      // The write may have waited out a Kafka outage: allocate only if the window still has room
      // (the re-allocation pass applies the same rule, so the event is never allocated late).
      if (!deliverable(e.endMs)) {
        deps.logger.warn('dispatch refused: its window ended while the event was written', { eventId: e.eventId, endMs: e.endMs });
        return windowEnded(e);
      }
      await reallocate(entry, 'dispatch');
      return ok(detailOf(entry, deps.clock.now()));
    }),

    cancelEvent: (who: Principal, eventId: string, reason: string | null): Promise<Result<ReturnType<typeof detailOf>, Failure>> => serial(async () => {
      if (!isLeader()) return notLeader();
      const entry = book.events.get(eventId);
      if (entry === undefined) return fail('UNKNOWN_EVENT', `no event ${eventId}`);
      const now = deps.clock.now();
      if (entry.cancelledAtMs !== null) return fail('ALREADY_CANCELLED', `${eventId} was cancelled by ${entry.cancelledBy ?? 'someone'}`);
      if (now >= entry.event.endMs) return fail('ENDED', `${eventId} has ended`);
      await publishEvent(cancelEventOf(entry.event, { eventId: `evt-${deps.newId()}`, issuedBy: who.name, nowMs: now, reason }));
      await publishCommands(releasesOf(entry.event, entry.round, [...entry.shares.keys()], now));
      entry.round++;
      return ok(detailOf(entry, deps.clock.now()));
    }),

    /** A customer opts the site out of an event: the choice is stored, the site released and its share re-allocated. */
    optOut: (who: Principal, siteId: string, eventId: string): Promise<Result<{ siteId: string; eventId: string; released: boolean }, Failure>> => serial(async () => {
      if (!isLeader()) return notLeader();
      const entry = book.events.get(eventId);
      if (entry === undefined) return fail('UNKNOWN_EVENT', `no event ${eventId}`);
      const held = choiceOf(book, siteId);
      await publishChoices(siteId, { reservePct: held.reservePct, optedOutEventIds: new Set([...held.optedOutEventIds, eventId]) }, who);
      const active = statusOf(entry, deps.clock.now());
      const released = entry.shares.has(siteId) && (active === 'ACTIVE' || active === 'SCHEDULED');
      if (released) {
        if (isProtective(entry)) {
          await publishCommands(releasesOf(entry.event, entry.round, [siteId], deps.clock.now()));
          entry.round++;
        } else await reallocate(entry, `opt-out ${siteId}`);
      }
      deps.logger.info('customer opt-out', { siteId, eventId, released });
      return ok({ siteId, eventId, released });
    }),

    /** A customer's reserve: active discharge events touching the site re-allocate at once. */
    setReserve: (who: Principal, siteId: string, reservePct: number | null): Promise<Result<{ siteId: string; reservePct: number | null }, Failure>> => serial(async () => {
      if (!isLeader()) return notLeader();
      if (reservePct !== null && !(Number.isFinite(reservePct) && reservePct >= 0 && reservePct <= 100)) return fail('INVALID_RESERVE', 'reservePct must be 0..100 or null');
      await publishChoices(siteId, { reservePct, optedOutEventIds: choiceOf(book, siteId).optedOutEventIds }, who);
      const now = deps.clock.now();
      for (const entry of book.events.values()) {
        if (entry.shares.has(siteId) && !isProtective(entry) && statusOf(entry, now) === 'ACTIVE') await reallocate(entry, `reserve ${siteId}`);
      }
      return ok({ siteId, reservePct });
    }),

    /**
     * Re-allocates active events whose sites dropped out or came back since their last allocation, and
     * allocates events whose first allocation was never published (Kafka failed after the event)
     * while their window still has room for delivery.
     */
    reallocateDropouts: (): Promise<number> => serial(async () => {
      if (!isLeader()) return 0;
      let sent = 0;
      const now = deps.clock.now();
      for (const entry of book.events.values()) {
        const status = statusOf(entry, now);
        if (entry.round === 0 && (status === 'ACTIVE' || status === 'SCHEDULED')) {
          if (deliverable(entry.event.endMs)) sent += await reallocate(entry, 'first allocation');
          continue;
        }
        if (isProtective(entry) || status !== 'ACTIVE') continue;
        const dropped = droppedOf(entry);
        if (sameSet(dropped, entry.dropped)) continue;
        const back = [...entry.dropped].filter((s) => !dropped.has(s));
        const out = [...dropped].filter((s) => !entry.dropped.has(s));
        entry.dropped = dropped;
        const names = (xs: string[]): string => (xs.length > 20 ? `${xs.slice(0, 20).join(' ')} and ${xs.length - 20} more` : xs.join(' '));
        sent += await reallocate(entry, [out.length > 0 ? `dropped out: ${names(out)}` : '', back.length > 0 ? `back: ${names(back)}` : ''].filter((x) => x !== '').join('; '));
      }
      return sent;
    }),

    /** This instance just became the leader (its feeds have read everything the old one wrote). */
    takeOver: (): Promise<number> => serial(async () => {
      let sent = 0;
      for (const entry of book.events.values()) sent += await completeRound(entry);
      return sent;
    }),

    listEvents: () => [...book.events.values()].map((e) => summaryOf(e, deps.clock.now())).sort((a, b) => b.event.issuedAtMs - a.event.issuedAtMs),
    event: (eventId: string) => {
      const e = book.events.get(eventId);
      return e === undefined ? null : detailOf(e, deps.clock.now());
    },
    site: (siteId: string) => {
      const c = book.choices.get(siteId);
      const now = deps.clock.now();
      const events = [...book.events.values()]
        .filter((e) => e.shares.has(siteId) || c?.optedOutEventIds.has(e.event.eventId) === true)
        .map((e) => ({ eventId: e.event.eventId, kind: e.event.kind, status: statusOf(e, now), startMs: e.event.startMs, endMs: e.event.endMs, powerKw: e.shares.get(siteId) ?? null, optedOut: c?.optedOutEventIds.has(e.event.eventId) === true }));
      return { siteId, known: deps.model.defs.has(siteId), reservePct: c?.reservePct ?? null, optedOutEventIds: [...(c?.optedOutEventIds ?? [])].sort(), events };
    },
  };
};

export type ControlService = ReturnType<typeof createControlService>;
