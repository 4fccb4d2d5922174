/**
 * Control's use cases, with their effects passed in: create an event (grid.events.v1 first, then
 * its commands on control.commands.v1), cancel one (a CANCEL event, then RELEASE commands),
 * customers' opt-outs and reserves, and re-allocation when sites drop out. What is published is
 * applied to the book at once (and again, harmlessly, when the feeds read it back).
 */
import type { AvroCodec } from '../../platform/avro-codec.ts';
import type { Clock } from '../../platform/clock.ts';
import type { GridEvent, SiteCommand } from '../../platform/events.ts';
import type { Producer } from '../../platform/kafka.ts';
import type { Logger } from '../../platform/logger.ts';
import { err, ok, type Result } from '../../platform/result.ts';
import { TopicNames } from '../../platform/topics.ts';
import { allocate } from './allocate-dispatch.ts';
import type { Principal } from './auth.ts';
import { allocationRequestOf, commandsOf, reallocationCommands, releasesOf } from './event-commands.ts';
import { applyChoices, applyCommand, applyGridEvent, choiceOf, choicesRecord, choicesView, detailOf, statusOf, summaryOf, type EventBook, type EventEntry } from './event-book.ts';
import { cancelEventOf, parseEventRequest } from './event-request.ts';
import { siteInputsUnder, type ReadModel } from './read-model.ts';

export interface ServiceDeps {
  readonly producer: Producer;
  readonly codec: AvroCodec;
  /** Event and command times (simulated in a simulation). */
  readonly clock: Clock;
  readonly newId: () => string;
  readonly logger: Logger;
  readonly model: ReadModel;
  readonly book: EventBook;
}

export interface Failure {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

const fail = (status: number, code: string, message: string): Result<never, Failure> => err({ status, code, message });

export const createControlService = (deps: ServiceDeps) => {
  const { book, model } = deps;

  const publishEvent = async (e: GridEvent): Promise<void> => {
    await deps.producer.send(TopicNames.gridEvents, [{ key: e.eventId, value: await deps.codec.encode(TopicNames.gridEvents, e) }]);
    applyGridEvent(book, e);
  };
  const publishCommands = async (cmds: readonly SiteCommand[]): Promise<void> => {
    if (cmds.length === 0) return;
    const messages = await Promise.all(cmds.map(async (c) => ({ key: c.siteId, value: await deps.codec.encode(TopicNames.controlCommands, c) })));
    for (let i = 0; i < messages.length; i += 2000) await deps.producer.send(TopicNames.controlCommands, messages.slice(i, i + 2000));
    for (const c of cmds) applyCommand(book, c);
  };

  /** A customer's choices are stored on control.choices.v1 first (so a restart keeps them), then applied. */
  const publishChoices = async (siteId: string, next: { reservePct: number | null; optedOutEventIds: ReadonlySet<string> }, who: Principal): Promise<void> => {
    const record = choicesRecord(siteId, next, deps.clock.now(), who.name);
    await deps.producer.send(TopicNames.controlChoices, [{ key: siteId, value: await deps.codec.encode(TopicNames.controlChoices, record) }]);
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
   * A site that dropped out for being offline and is online again is back in.
   */
  const droppedOf = (entry: EventEntry): Set<string> => {
    if (isProtective(entry)) return new Set(entry.dropped);
    const latest = new Map<string, { status: string; issuedAtMs: number }>();
    for (const c of entry.fulfillment.commands.values()) {
      if (c.kind === 'RELEASE') continue;
      const held = latest.get(c.siteId);
      if (held === undefined || c.issuedAtMs >= held.issuedAtMs) latest.set(c.siteId, c);
    }
    const out = new Set<string>();
    for (const [siteId, c] of latest) if (c.status === 'REJECTED') out.add(siteId);
    for (const siteId of [...entry.shares.keys(), ...entry.dropped]) if (model.states.get(siteId)?.online !== true) out.add(siteId);
    return out;
  };

  const sameSet = (a: ReadonlySet<string>, b: ReadonlySet<string>): boolean => a.size === b.size && [...a].every((x) => b.has(x));

  /** Allocates (again) an event over the sites in its scope now, publishing what changed. */
  const reallocate = async (entry: EventEntry, why: string): Promise<number> => {
    const req = allocationRequestOf(entry.event);
    if (req === null) return 0;
    const now = deps.clock.now();
    const allocation = allocate(req, siteInputsUnder(model, entry.event.scopeAssetId), choicesView(book), entry.dropped);
    const round = entry.round;
    const cmds = round === 0 ? commandsOf(entry.event, round, allocation, now) : reallocationCommands(entry.event, round, entry.shares, allocation, now);
    entry.shortfallKw = allocation.shortfallKw;
    await publishCommands(cmds);
    entry.round = Math.max(entry.round, round + 1);
    deps.logger.info('allocated', { eventId: entry.event.eventId, round, why, commands: cmds.length, allocatedKw: allocation.allocatedKw, shortfallKw: allocation.shortfallKw });
    return cmds.length;
  };

  return {
    createEvent: (who: Principal, body: unknown): Promise<Result<ReturnType<typeof detailOf>, Failure>> => serial(async () => {
      const now = deps.clock.now();
      const parsed = parseEventRequest(body, { eventId: `evt-${deps.newId()}`, issuedBy: who.name, nowMs: now });
      if (!parsed.ok) return fail(400, 'INVALID_EVENT', parsed.error.join('; '));
      const e = parsed.value;
      if (!model.defs.has(e.scopeAssetId)) return fail(422, 'UNKNOWN_SCOPE', `asset ${e.scopeAssetId} is not in the registry`);
      await publishEvent(e);
      const entry = book.events.get(e.eventId);
      if (entry === undefined) return fail(500, 'INTERNAL', 'event not recorded');
      await reallocate(entry, 'dispatch');
      return ok(detailOf(entry, deps.clock.now()));
    }),

    cancelEvent: (who: Principal, eventId: string, reason: string | null): Promise<Result<ReturnType<typeof detailOf>, Failure>> => serial(async () => {
      const entry = book.events.get(eventId);
      if (entry === undefined) return fail(404, 'UNKNOWN_EVENT', `no event ${eventId}`);
      const now = deps.clock.now();
      if (entry.cancelledAtMs !== null) return fail(409, 'ALREADY_CANCELLED', `${eventId} was cancelled by ${entry.cancelledBy ?? 'someone'}`);
      if (now >= entry.event.endMs) return fail(409, 'ENDED', `${eventId} has ended`);
      await publishEvent(cancelEventOf(entry.event, { eventId: `evt-${deps.newId()}`, issuedBy: who.name, nowMs: now, reason }));
      await publishCommands(releasesOf(entry.event, entry.round, [...entry.shares.keys()], now));
      entry.round++;
      return ok(detailOf(entry, deps.clock.now()));
    }),

    /** A customer opts the site out of an event: the choice is stored, the site released and its share re-allocated. */
    optOut: (who: Principal, siteId: string, eventId: string): Promise<Result<{ siteId: string; eventId: string; released: boolean }, Failure>> => serial(async () => {
      const entry = book.events.get(eventId);
      if (entry === undefined) return fail(404, 'UNKNOWN_EVENT', `no event ${eventId}`);
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
      if (reservePct !== null && !(Number.isFinite(reservePct) && reservePct >= 0 && reservePct <= 100)) return fail(400, 'INVALID_RESERVE', 'reservePct must be 0..100 or null');
      await publishChoices(siteId, { reservePct, optedOutEventIds: choiceOf(book, siteId).optedOutEventIds }, who);
      const now = deps.clock.now();
      for (const entry of book.events.values()) {
        if (entry.shares.has(siteId) && !isProtective(entry) && statusOf(entry, now) === 'ACTIVE') await reallocate(entry, `reserve ${siteId}`);
      }
      return ok({ siteId, reservePct });
    }),

    /**
     * Re-allocates active events whose sites dropped out or came back since their last allocation, and
     * allocates events whose first allocation was never published (Kafka failed after the event).
     */
    reallocateDropouts: (): Promise<number> => serial(async () => {
      let sent = 0;
      const now = deps.clock.now();
      for (const entry of book.events.values()) {
        const status = statusOf(entry, now);
        if (entry.round === 0 && (status === 'ACTIVE' || status === 'SCHEDULED')) {
          sent += await reallocate(entry, 'first allocation');
          continue;
        }
        if (isProtective(entry) || status !== 'ACTIVE') continue;
        const dropped = droppedOf(entry);
        if (sameSet(dropped, entry.dropped)) continue;
        const back = [...entry.dropped].filter((s) => !dropped.has(s));
        const out = [...dropped].filter((s) => !entry.dropped.has(s));
        entry.dropped = dropped;
        sent += await reallocate(entry, [out.length > 0 ? `dropped out: ${out.join(' ')}` : '', back.length > 0 ? `back: ${back.join(' ')}` : ''].filter((x) => x !== '').join('; '));
      }
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
      return { siteId, known: model.defs.has(siteId), reservePct: c?.reservePct ?? null, optedOutEventIds: [...(c?.optedOutEventIds ?? [])].sort(), events };
    },
  };
};

export type ControlService = ReturnType<typeof createControlService>;
