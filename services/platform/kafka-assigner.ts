/**
 * A partition assigner that lets a process run one group member per topic, each with its own
 * fetch loop (part of the Kafka adapter, kafka.ts).
 *
 * Why: a kafkajs consumer fetches all its partitions in one request and fetches again only once
 * every batch of that request was handled. A member that holds a busy topic (telemetry) and a
 * latency-sensitive one (the assets' rollup partials) makes the second wait out the first's
 * processing on every hop. Two members of one group, one per topic, fetch independently; the
 * group (its committed offsets, its generations) stays one.
 *
 * Contract: every member subscribes to all the group's topics, so whichever member leads knows
 * every topic's partitions (kafkajs assigns only the leader's subscriptions). A member says in its
 * metadata which topics it asks for and is given partitions of those only; each topic's partitions
 * go round robin to the members asking for it. A topic nobody asks for goes to the members that ask
 * for nothing in particular, and stays unassigned while there are none: a process whose two
 * members join one after the other must not hand the second one's topic to the first for a
 * generation (it would restore those shards twice). Members also offer kafkajs's
 * RoundRobinAssigner, so a group that still has members without this assigner (a rolling upgrade)
 * settles on round robin over everything: each member may then hold any topic, which its handler
 * must accept.
 */
import kafkajs from 'kafkajs';

const { AssignerProtocol, PartitionAssigners } = kafkajs;

export const TOPIC_ASSIGNER = 'GridfleetTopicAssigner';

interface Wants {
  readonly wants: readonly string[];
}

const wantsOf = (metadata: Buffer): readonly string[] => {
  try {
    const { userData } = AssignerProtocol.MemberMetadata.decode(metadata) ?? { userData: Buffer.alloc(0) };
    const parsed = JSON.parse(userData.toString('utf8')) as Partial<Wants>;
    return Array.isArray(parsed.wants) ? parsed.wants.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return [];
  }
};

/** Pure: which member gets which partitions, given each member's asks and each topic's partitions. */
export const assignByTopic = (
  members: ReadonlyArray<{ memberId: string; wants: readonly string[] }>, partitionsOf: ReadonlyMap<string, readonly number[]>,
): Map<string, Record<string, number[]>> => {
  const ids = members.map((m) => m.memberId).sort();
  const out = new Map<string, Record<string, number[]>>(ids.map((id) => [id, {}]));
  for (const [topic, partitions] of [...partitionsOf].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const askers = ids.filter((id) => members.find((m) => m.memberId === id)?.wants.includes(topic));
    const to = askers.length > 0 ? askers : ids.filter((id) => (members.find((m) => m.memberId === id)?.wants.length ?? 0) === 0);
    if (to.length === 0) continue;
    [...partitions].sort((a, b) => a - b).forEach((p, i) => {
      const got = out.get(to[i % to.length] ?? '');
      if (got !== undefined) (got[topic] ??= []).push(p);
    });
  }
  return out;
};

/** The assigners a member offers, in order of preference: by topic (asking for `wants`), then round robin. */
export const topicAssigners = (wants: readonly string[]): kafkajs.PartitionAssigner[] => [
  ({ cluster }) => ({
    name: TOPIC_ASSIGNER,
    version: 0,
    assign({ members, topics }) {
      const partitionsOf = new Map(topics.map((t) => [t, cluster.findTopicPartitionMetadata(t).map((m) => m.partitionId)]));
      const plan = assignByTopic(members.map((m) => ({ memberId: m.memberId, wants: wantsOf(m.memberMetadata) })), partitionsOf);
      return Promise.resolve([...plan].map(([memberId, assignment]) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment, userData: Buffer.alloc(0) }),
      })));
    },
    protocol({ topics }) {
      const userData = Buffer.from(JSON.stringify({ wants } satisfies Wants), 'utf8');
      return { name: TOPIC_ASSIGNER, metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData }) };
    },
  }),
  PartitionAssigners.roundRobin,
];
