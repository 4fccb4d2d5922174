/**
 * Which control instance leads: a consumer group every instance joins (`gridfleet-control-leader`)
 * over grid.events.v1, and the member the group assigns partition 0 leads. Kafka's group
 * coordinator gives any partition to exactly one member of a settled generation, so this is the
 * single-partition group of docs/control.md without a topic of its own (one more topic would need
 * a schema, a ClickHouse table and ingest's mapping for records nobody reads). The handler reads
 * nothing: membership is the point.
 *
 * - The leader loses the lease when a rebalance gives partition 0 to another member (it learns
 *   in its own GROUP_JOIN) or its consumer crashes. A member kafkajs does not restart (a crash on
 *   a non-retriable error) is replaced by a new one a second later, which may lead again.
 * - A leader that is SIGKILLed is evicted when its session expires (6 s, the broker's minimum);
 *   the standby's next heartbeat learns of the rebalance and it gets partition 0.
 * - A session is short and heartbeats every second (fetches wait at most 500 ms, so nothing
 *   delays a heartbeat), so a loaded event loop does not lose the lease by accident.
 */
import type { Consumer, KafkaAdapter } from '../../platform/kafka.ts';
import type { Logger } from '../../platform/logger.ts';
import { startAgainUntilStarted, type StartAgain } from '../../platform/start-again.ts';
import { TopicNames } from '../../platform/topics.ts';

export const LEADER_GROUP = 'gridfleet-control-leader';
const LEADER_PARTITION = 0;
const SESSION_TIMEOUT_MS = 6_000;
/** How long after its member stopped for good a new one joins. */
const REPLACE_AFTER_MS = 1_000;

export interface Leadership {
  isLeader(): boolean;
  /** Resolves at the first assignment (leader or standby), so an instance opens knowing its role. */
  readonly joined: Promise<void>;
  /** Called on every change, with the new role. */
  onChange(listener: (leader: boolean) => void): void;
  stop(): Promise<void>;
}

export const joinLeadership = async (deps: {
  kafka: KafkaAdapter; logger: Logger; groupId?: string;
  /** Told the offsets of every batch the member is handed (a test checks none comes twice). */
  onBatch?: (offsets: readonly string[]) => void;
}): Promise<Leadership> => {
  const topic = TopicNames.gridEvents;
  let leader = false;
  const listeners: Array<(leader: boolean) => void> = [];
  const set = (next: boolean, why: string): void => {
    if (next === leader) return;
    leader = next;
    deps.logger.info(next ? 'leadership acquired' : 'leadership lost', { why });
    for (const l of listeners) l(next);
  };
  let markJoined: () => void = () => undefined;
  const joined = new Promise<void>((r) => (markJoined = r));
  let current: Consumer | undefined;
  let stopped = false;
  let replacing: StartAgain | undefined;
  const start = async (): Promise<void> => {
    const consumer: Consumer = await deps.kafka.consumer({
      groupId: deps.groupId ?? LEADER_GROUP, topics: [topic], fromBeginning: false, autoCommit: false,
      sessionTimeoutMs: SESSION_TIMEOUT_MS, heartbeatIntervalMs: 1_000, retryMaxMs: 1_000,
      // kafkajs heartbeats between fetches: with its default 5 s fetch wait on a quiet topic, a
      // heartbeat could come only a second before the 6 s session ends, and a loaded machine lose
      // the lease. Short fetches keep the heartbeat on its 1 s beat.
      fetch: { maxWaitTimeInMs: 500 },
    });
    if (stopped) {
      await consumer.disconnect();
      return;
    }
    current = consumer;
    consumer.onAssignment((assigned) => {
      if (current !== consumer) return;
      const owns = assigned.some((a) => a.topic === topic && a.partitions.includes(LEADER_PARTITION));
      set(owns, owns ? `assigned ${topic}[${LEADER_PARTITION}]` : `${topic}[${LEADER_PARTITION}] went to another member`);
      markJoined();
    });
    consumer.onCrash((c) => {
      if (current !== consumer) return;
      set(false, `leader consumer crashed: ${c.error}`);
      // kafkajs restarts the member after a retriable failure; after any other it has stopped for
      // good, and this instance would never lead again: a new member takes its place.
      if (!c.restarting) replace(consumer, c.error);
    });
    // The member only holds the partition; its records (grid events, read by control's own feed)
    // are passed over. Resolving them moves the fetch position on: a batch left unresolved is
    // fetched again at once, and after the first grid event the leader re-read it about 1,000
    // times a second (strace of control in the 10k control bench: 950 fetches/s of grid.events.v1),
    // a quarter of a core for control and more for the broker, taken from the dispatch path.
    void consumer.runBatches((batch, ctx) => {
      deps.onBatch?.(batch.records.map((r) => r.offset));
      const last = batch.records[batch.records.length - 1];
      if (last !== undefined) ctx.resolveOffset(last.offset);
      return Promise.resolve();
    }).catch((e: unknown) => {
      if (current !== consumer) return;
      set(false, 'leader consumer stopped');
      deps.logger.error('leadership consumer stopped', { error: e instanceof Error ? e.message : String(e) });
      replace(consumer, e instanceof Error ? e.message : String(e));
    });
  };
  /** A new member in a second (and again each second until one starts), unless stopping. */
  const replace = (old: Consumer, why: string): void => {
    if (stopped || current !== old) return;
    current = undefined;
    deps.logger.warn('leadership member replaced', { why });
    void old.disconnect().catch(() => undefined);
    replacing = startAgainUntilStarted(start, {
      everyMs: REPLACE_AFTER_MS,
      onFailure: (error) => deps.logger.error('leadership member could not be started; trying again', { error }),
    });
  };
  await start();
  return {
    isLeader: () => leader,
    joined,
    onChange: (l) => {
      listeners.push(l);
    },
    stop: async () => {
      stopped = true;
      replacing?.cancel();
      set(false, 'stopping');
      await current?.disconnect();
    },
  };
};
