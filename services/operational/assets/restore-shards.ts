/**
 * Restoring shards: each shard's committed offset carries, as its metadata, a pointer to the
 * shard's newest snapshot in asset.state.v1 (its offset there, seq and slot). A restore reads the
 * changelog partitions of the shards being restored from the oldest such offset to their end, in
 * one pass, skipping every key that is not one of their snapshots before decoding, and returns
 * each shard's snapshot if all its parts are there. The shell then replays the shard's input from
 * the offset the snapshot covers.
 */
import type { AvroCodec } from '../../platform/avro-codec.ts';
import type { AssetState, ShardBatch } from '../../platform/events.ts';
import type { KafkaAdapter } from '../../platform/kafka.ts';
import type { Logger } from '../../platform/logger.ts';
import { TopicNames } from '../../platform/topics.ts';
import { assembleSnapshot, snapshotPrefix, type SnapshotKind } from './shard-records.ts';

export interface SnapshotPointer {
  /** Offset of the snapshot's first part in asset.state.v1 (partition = the shard). */
  readonly offset: string;
  readonly seq: number;
  readonly slot: number;
}

export const pointerMetadata = (p: SnapshotPointer): string => JSON.stringify({ v: 1, snapshot: p.offset, seq: p.seq, slot: p.slot });

/** Null when the metadata is absent or not a pointer (a commit of an older version of the service). */
export const parsePointer = (metadata: string | null): SnapshotPointer | null => {
  if (metadata === null || metadata === '') return null;
  try {
    const o = JSON.parse(metadata) as { v?: unknown; snapshot?: unknown; seq?: unknown; slot?: unknown };
    if (o.v !== 1 || typeof o.snapshot !== 'string' || typeof o.seq !== 'number' || typeof o.slot !== 'number') return null;
    return { offset: o.snapshot, seq: o.seq, slot: o.slot };
  } catch {
    return null;
  }
};

export interface WantedSnapshot {
  readonly kind: SnapshotKind;
  readonly partition: number;
  readonly pointer: SnapshotPointer;
}

export interface RestoredSnapshot {
  readonly coversOffset: number;
  readonly batches: ShardBatch[];
}

export const readSnapshots = async (
  kafka: KafkaAdapter, codec: AvroCodec, stateTopic: string, wanted: readonly WantedSnapshot[], logger: Logger,
): Promise<Map<string, RestoredSnapshot | null>> => {
  const out = new Map<string, RestoredSnapshot | null>(wanted.map((w) => [`${w.kind}:${w.partition}`, null]));
  if (wanted.length === 0) return out;
  const admin = await kafka.admin();
  let ends;
  try {
    ends = await admin.topicOffsets(stateTopic);
  } finally {
    await admin.disconnect();
  }
  const startOf = new Map<number, bigint>();
  for (const w of wanted) {
    const at = BigInt(w.pointer.offset);
    const prev = startOf.get(w.partition);
    if (prev === undefined || at < prev) startOf.set(w.partition, at);
  }
  // readAll starts each partition at the `high` given: ours at the snapshots, the others at their end.
  const fromOffsets = ends.map((e) => ({ partition: e.partition, low: e.low, high: (startOf.get(e.partition) ?? BigInt(e.high)).toString() }));
  const records = await kafka.readAll(stateTopic, { fromOffsets, timeoutMs: 60_000 });
  // One pass over what was read (up to a snapshot interval of the changelog's partitions), each
  // snapshot key looked up by its shard's prefix: not one pass over every record per wanted shard.
  const wantedBy = new Map(wanted.map((w) => [snapshotPrefix(w.kind, w.partition), { key: `${w.kind}:${w.partition}`, partition: w.partition, from: BigInt(w.pointer.offset) }]));
  const byShard = new Map<string, AssetState[]>(wanted.map((w) => [`${w.kind}:${w.partition}`, []]));
  for (const r of records) {
    if (r.value === null || r.key === null || !r.key.startsWith('snapshot/')) continue;
    const w = wantedBy.get(r.key.slice(0, r.key.indexOf('/', r.key.indexOf('/', 9) + 1) + 1));
    if (w === undefined || w.partition !== r.partition || BigInt(r.offset) < w.from) continue;
    const d = await codec.decode(TopicNames.assetState, r.value);
    if (d.ok) byShard.get(w.key)?.push(d.value);
    else logger.warn('undecodable snapshot record skipped', { partition: r.partition, offset: r.offset, error: d.error });
  }
  for (const w of wanted) out.set(`${w.kind}:${w.partition}`, assembleSnapshot(byShard.get(`${w.kind}:${w.partition}`) ?? [], w.pointer.seq));
  return out;
};
