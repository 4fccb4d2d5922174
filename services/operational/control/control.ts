/**
 * A control instance: follows its topics into the read model and the event book, serves the HTTP
 * API, and re-allocates active events whose sites dropped out. Opens only once the registry,
 * asset states and its own past events are read, so it never allocates from an empty model.
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
import { follow } from '../../platform/topic-feed.ts';
import { createControlService, type ControlService } from './control-service.ts';
import { applyAck, applyChoices, applyCommand, applyGridEvent, applySiteState, createEventBook, type EventBook } from './event-book.ts';
import { createHttpApi } from './http-api.ts';
import { applyDefinition, applyState, createReadModel, type ReadModel } from './read-model.ts';

export interface Control {
  readonly url: string;
  readonly service: ControlService;
  readonly model: ReadModel;
  readonly book: EventBook;
  close(): Promise<void>;
}

export const startControl = async (config: ControlConfig, deps: { kafka: KafkaAdapter; codec: AvroCodec; logger: Logger; clock?: Clock; newId?: () => string }): Promise<Control> => {
  const { kafka, codec, logger } = deps;
  const clock = deps.clock ?? clockFor(config.platform.sim);
  const model = createReadModel();
  const book = createEventBook();
  const groupPrefix = `control-${config.instanceId}`;
  const common = { kafka, codec, groupPrefix, logger };
  const feeds = await Promise.all([
    follow({ ...common, topic: TopicNames.assetRegistry, onRecord: (k, v) => k !== null && applyDefinition(model, k, v) }),
    follow({ ...common, topic: TopicNames.assetState, skipKey: (k) => k !== null && isSnapshotKey(k), onRecord: (k, v) => {
      if (k === null) return;
      for (const site of applyState(model, k, v)) applySiteState(book, site, config.sampleEveryMs);
    } }),
    follow({ ...common, topic: TopicNames.gridEvents, onRecord: (_k, v) => v !== null && applyGridEvent(book, v) }),
    follow({ ...common, topic: TopicNames.controlCommands, onRecord: (_k, v) => v !== null && applyCommand(book, v) }),
    follow({ ...common, topic: TopicNames.controlAcks, onRecord: (_k, v) => v !== null && applyAck(book, v) }),
    follow({ ...common, topic: TopicNames.controlChoices, onRecord: (k, v) => k !== null && applyChoices(book, k, v) }),
  ]);
  await Promise.all(feeds.map((f) => f.caughtUp));
  const producer = await kafka.producer();
  const service = createControlService({ producer, codec, clock, newId: deps.newId ?? (() => randomUUID().slice(0, 13)), logger, model, book });
  const app = await createHttpApi({ service, tokens: config.tokens, logger });
  const { port } = await listen(app, config.port, config.host);
  let running = true;
  let inFlight: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    if (!running) return;
    inFlight = service.reallocateDropouts().catch((e: unknown) => logger.error('re-allocation failed', { error: e instanceof Error ? e.message : String(e) }));
  }, config.reallocateEveryMs);
  logger.info('control listening', { port, sites: [...model.defs.values()].filter((d) => d.kind === 'SITE').length, events: book.events.size });
  return {
    url: `http://127.0.0.1:${port}`,
    service,
    model,
    book,
    async close() {
      running = false;
      clearInterval(timer);
      await inFlight;
      app.server.closeAllConnections();
      await app.close();
      await producer.disconnect();
      await Promise.all(feeds.map((f) => f.stop()));
    },
  };
};
