/**
 * A control instance: follows its topics into the read model and the event book, serves the HTTP
 * API, joins the leadership group, and while it leads re-allocates active events whose sites
 * dropped out. Opens only once the registry, asset states and its own past events are read, so it
 * never allocates from an empty model. A standby keeps following everything (so its book, acks
 * and measured response are current) and answers reads; on becoming leader it first reads every
 * topic to its end, waits until the old leader's writes have stopped, and completes the rounds
 * that leader left half-written (control-service.ts, takeOver).
 */
import { randomUUID } from 'node:crypto';
import { isSnapshotKey } from '../../platform/asset-view.ts';
import type { AvroCodec } from '../../platform/avro-codec.ts';
import { clockFor, type Clock } from '../../platform/clock.ts';
import type { KafkaAdapter } from '../../platform/kafka.ts';
import { listen } from '../../platform/http-server.ts';
import type { Logger } from '../../platform/logger.ts';
import { TopicNames } from '../../platform/topics.ts';
import type { ControlConfig } from './config.ts';
import { follow, type Feed } from '../../platform/topic-feed.ts';
import { createCommandWriter, WRITER_HEADER, type CommandWriter } from './command-writer.ts';
import { createControlService, type ControlService } from './control-service.ts';
import { applyAck, applyChoices, applyCommand, applyGridEvent, applySiteState, createEventBook, type EventBook } from './event-book.ts';
import { createHttpApi } from './http-api.ts';
import { joinLeadership, type Leadership } from './leadership.ts';
import { applyDefinition, applyState, createReadModel, type ReadModel } from './read-model.ts';
import { createScopeIndex } from './scope-index.ts';
import { openTopicWriter } from '../../platform/topic-writer.ts';

export interface Control {
  readonly url: string;
  readonly service: ControlService;
  readonly model: ReadModel;
  readonly book: EventBook;
  /** Leads and has finished taking over. */
  leading(): boolean;
  close(): Promise<void>;
}

/** How long the commands topic must stay still before a new leader trusts it has all the old leader wrote. */
const QUIET_MS = 500;
/** How long after a failed takeover (Kafka unreachable, a write refused) the leader tries again. */
const TAKEOVER_RETRY_MS = 500;

export const startControl = async (config: ControlConfig, deps: {
  kafka: KafkaAdapter; codec: AvroCodec; logger: Logger; clock?: Clock; newId?: () => string;
  /** A decorator of the command writer, for a fault a test or bench injects (never set in production). */
  wrapCommands?: (w: CommandWriter) => CommandWriter;
}): Promise<Control> => {
  const { kafka, codec, logger } = deps;
  const clock = deps.clock ?? clockFor(config.platform.sim);
  const model = createReadModel();
  const scopes = createScopeIndex(model);
  const book = createEventBook();
  // Per process, not per instance id: a restarted instance must read its previous life's commands.
  const origin = `${config.instanceId}-${randomUUID().slice(0, 8)}`;
  const groupPrefix = `control-${config.instanceId}`;
  const common = { kafka, codec, groupPrefix, logger };
  // Feeds off the delivery path (measured response, acks, a standby's copy of the commands) fetch
  // in batches: up to 250 ms for 64 KiB. With minBytes 1 the broker answers as soon as one record
  // is there, so under live traffic these feeds made a fetch round trip per view batch or ack,
  // waking the broker and control each time, on the cores the gateway delivers commands with.
  const batched = { minBytes: 64 * 1024, maxWaitTimeInMs: 250 };
  const feeds: Feed[] = await Promise.all([
    follow({ ...common, topic: TopicNames.assetRegistry, onRecord: (k, v) => {
      if (k === null) return;
      applyDefinition(model, k, v);
      scopes.invalidate();
    } }),
    follow({ ...common, topic: TopicNames.assetState, fetch: batched, skipKey: (k) => k !== null && isSnapshotKey(k), onRecord: (k, v) => {
      if (k === null) return;
      for (const site of applyState(model, k, v)) applySiteState(book, site, config.sampleEveryMs);
    } }),
    follow({ ...common, topic: TopicNames.gridEvents, onRecord: (_k, v) => v !== null && applyGridEvent(book, v) }),
    follow({
      ...common, topic: TopicNames.controlCommands, fetch: batched, onRecord: (_k, v) => v !== null && applyCommand(book, v),
      // Applied when written: never decode our own 100k commands back.
      skipRecord: (_k, headers) => headers[WRITER_HEADER] === origin,
    }),
    follow({ ...common, topic: TopicNames.controlAcks, fetch: batched, onRecord: (_k, v) => v !== null && applyAck(book, v) }),
    follow({ ...common, topic: TopicNames.controlChoices, onRecord: (k, v) => k !== null && applyChoices(book, k, v) }),
  ]);
  await Promise.all(feeds.map((f) => f.caughtUp));
  const [, , eventsFeed, commandsFeed, acksFeed, choicesFeed] = feeds;
  const writer = await openTopicWriter({ kafka, codec, lanes: 1 });
  const plain = await createCommandWriter({ kafka, codec, origin });
  const commands = deps.wrapCommands?.(plain) ?? plain;
  let leading = false;
  // Set just below, once the service exists (its isLeader reads it).
  const lead: { current: Leadership | undefined } = { current: undefined };
  const service = createControlService({
    writer, commands, clock, newId: deps.newId ?? (() => randomUUID().slice(0, 13)), logger, model, scopes, book,
    isLeader: () => leading && lead.current?.isLeader() === true, minDeliveryMs: config.minDeliveryMs,
  });

  /** Reads every topic the old leader wrote to its end, until the commands topic stays still. */
  const settle = async (): Promise<void> => {
    for (const f of [eventsFeed, choicesFeed, acksFeed]) await f?.reachEnd();
    const same = (a: ReadonlyMap<number, bigint>, b: ReadonlyMap<number, bigint>): boolean => a.size === b.size && [...a].every(([p, o]) => b.get(p) === o);
    let ends = (await commandsFeed?.reachEnd()) ?? new Map<number, bigint>();
    for (;;) {
      await new Promise((r) => setTimeout(r, QUIET_MS));
      const next = (await commandsFeed?.reachEnd()) ?? new Map<number, bigint>();
      if (same(ends, next)) return;
      ends = next;
    }
  };
  let takeover: Promise<void> = Promise.resolve();
  let closing = false;
  let retryTimer: NodeJS.Timeout | undefined;
  /** Whether this lease has settled (a takeover tried again does not wait for the quiet twice). */
  let settledLease = false;
  const onLeadership = (leader: boolean): void => {
    clearTimeout(retryTimer);
    if (!leader) {
      leading = false;
      settledLease = false;
      return;
    }
    takeover = takeover.then(async () => {
      const t0 = performance.now();
      if (!settledLease) await settle();
      if (lead.current?.isLeader() !== true) return;
      settledLease = true;
      leading = true;
      const sent = await service.takeOver();
      logger.info('leading', { takeoverMs: Math.round(performance.now() - t0), completedCommands: sent });
    }).catch((e: unknown) => {
      // Holding the lease without having taken over would leave the fleet without a leader (the
      // standby never gets it): refuse as a standby and try again while the lease is ours (a lease
      // lost meanwhile is settled afresh when it comes back).
      // Trying again is safe: commands the first attempt wrote are in the book, so the rounds
      // they completed are not sent again.
      leading = false;
      logger.error('takeover failed; trying again', { inMs: TAKEOVER_RETRY_MS, error: e instanceof Error ? e.message : String(e) });
      retryTimer = setTimeout(() => {
        if (!closing && lead.current?.isLeader() === true) onLeadership(true);
      }, TAKEOVER_RETRY_MS);
    });
  };
  const leadership = await joinLeadership({ kafka, logger, groupId: config.leaderGroup });
  lead.current = leadership;
  leadership.onChange(onLeadership);
  if (leadership.isLeader()) onLeadership(true);
  // Open knowing the role: a lone instance leads (and has taken over) before it answers.
  await Promise.race([leadership.joined, new Promise((r) => setTimeout(r, 30_000))]);
  await takeover;

  const app = await createHttpApi({ service, tokens: config.tokens, logger, tls: config.tls, health: () => ({ ok: true, role: leading ? 'leader' : 'standby', instanceId: config.instanceId }) });
  const { port } = await listen(app, config.port, config.host);
  let running = true;
  let inFlight: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    if (!running || !leading) return;
    inFlight = service.reallocateDropouts().catch((e: unknown) => logger.error('re-allocation failed', { error: e instanceof Error ? e.message : String(e) }));
  }, config.reallocateEveryMs);
  logger.info('control listening', { port, sites: [...model.defs.values()].filter((d) => d.kind === 'SITE').length, events: book.events.size });
  return {
    url: `http://127.0.0.1:${port}`,
    service,
    model,
    book,
    leading: () => leading,
    async close() {
      running = false;
      closing = true;
      clearTimeout(retryTimer);
      clearInterval(timer);
      await inFlight;
      await leadership.stop();
      await takeover;
      app.server.closeAllConnections();
      await app.close();
      await writer.close();
      await commands.close();
      await Promise.all(feeds.map((f) => f.stop()));
    },
  };
};
