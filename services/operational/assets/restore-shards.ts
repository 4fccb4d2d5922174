/**
 * Restoring shards from the changelog: reads asset.state.v1 partitions (and only those) from the
 * beginning to their current end in one pass, and returns the newest state per asset of each
 * partition (a later record of a key replaces an earlier one; a tombstone removes it).
 */
import type { AvroCodec } from '../../platform/avro-codec.ts';
import type { AssetState } from '../../platform/events.ts';
import type { KafkaAdapter } from '../../platform/kafka.ts';
import type { Logger } from '../../platform/logger.ts';
import { TopicNames } from '../../platform/topics.ts';

export const readChangelog = async (
  kafka: KafkaAdapter,
  codec: AvroCodec,
  stateTopic: string,
  partitions: ReadonlySet<number>,
  logger: Logger,
): Promise<Map<number, AssetState[]>> => {
  const out = new Map<number, AssetState[]>([...partitions].map((p) => [p, []]));
  const admin = await kafka.admin();
  let offsets;
  try {
    offsets = await admin.topicOffsets(stateTopic);
  } finally {
    await admin.disconnect();
  }
  if (!offsets.some((o) => partitions.has(o.partition) && BigInt(o.high) > BigInt(o.low))) return out;
  // readAll starts a partition at the `high` it is given: the partitions of other shards are skipped.
  const skip = offsets.filter((o) => !partitions.has(o.partition));
  const records = await kafka.readAll(stateTopic, { fromOffsets: skip, timeoutMs: 120_000 });
  const mine = records.filter((r) => partitions.has(r.partition) && r.key !== null);
  const decoded = await Promise.all(mine.map((r) => (r.value === null ? Promise.resolve(null) : codec.decode(TopicNames.assetState, r.value))));
  const newest = new Map<number, Map<string, AssetState | null>>();
  mine.forEach((r, i) => {
    const byKey = newest.get(r.partition) ?? new Map<string, AssetState | null>();
    newest.set(r.partition, byKey);
    const d = decoded[i];
    if (d === null || d === undefined) byKey.set(r.key ?? '', null);
    else if (d.ok) byKey.set(r.key ?? '', d.value);
    else logger.warn('undecodable changelog record skipped', { partition: r.partition, offset: r.offset, error: d.error });
  });
  for (const [p, byKey] of newest) out.set(p, [...byKey.values()].filter((s): s is AssetState => s !== null));
  return out;
};
