/**
 * Following a topic in full, as every instance does for asset.registry.v1 (the hierarchy) and the
 * compacted asset.state.v1 (the read model): a consumer group of its own (so each instance reads
 * every partition), from the beginning, never committing. `caughtUp` resolves once it has read up
 * to the end offsets the topic had when following started.
 */
import type { Consumer, FetchSettings, IncomingRecord, KafkaAdapter } from '../../platform/kafka.ts';

export interface Following {
  readonly caughtUp: Promise<void>;
  isCaughtUp(): boolean;
  stop(): Promise<void>;
}

export const followTopic = async (opts: {
  kafka: KafkaAdapter;
  topic: string;
  groupId: string;
  onRecords: (records: readonly IncomingRecord[]) => Promise<void>;
  /** Fetch parameters (docs/topics.md, "Consumer settings"); kafkajs's defaults when unset. */
  fetch?: FetchSettings;
}): Promise<Following> => {
  const admin = await opts.kafka.admin();
  let targets: Map<number, bigint>;
  try {
    targets = new Map((await admin.topicOffsets(opts.topic)).filter((o) => BigInt(o.high) > BigInt(o.low)).map((o) => [o.partition, BigInt(o.high)]));
  } finally {
    await admin.disconnect();
  }
  let done = false;
  let markDone: () => void = () => undefined;
  const caughtUp = new Promise<void>((resolve) => {
    markDone = () => {
      done = true;
      resolve();
    };
  });
  if (targets.size === 0) markDone();
  const consumer: Consumer = await opts.kafka.consumer({
    groupId: opts.groupId, topics: [opts.topic], fromBeginning: true, autoCommit: false, ...(opts.fetch === undefined ? {} : { fetch: opts.fetch }),
  });
  consumer
    .runBatches(async (batch, ctx) => {
      await opts.onRecords(batch.records);
      const last = batch.records.at(-1);
      // Nothing is committed, but the fetch position must move on (else kafkajs fetches the batch again).
      if (last !== undefined) ctx.resolveOffset(last.offset);
      const target = targets.get(batch.partition);
      if (last !== undefined && target !== undefined && BigInt(last.offset) + 1n >= target) targets.delete(batch.partition);
      if (!done && targets.size === 0) markDone();
    })
    .catch(() => undefined);
  return { caughtUp, isCaughtUp: () => done, stop: () => consumer.disconnect() };
};
