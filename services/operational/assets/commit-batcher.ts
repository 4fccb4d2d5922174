/**
 * Offset commits gathered per turn of the event loop: the shards of an instance flush on the same
 * grid (shard-flush.ts), their writes are acknowledged by the same produce responses, and their
 * commits then go to the group coordinator as one OffsetCommit request instead of one per shard
 * (at 10k sites the assets instances sent about 36 commit requests a second each, most of the
 * broker's and their own steady-state work beside the produce requests).
 *
 * A batch the coordinator refuses because one of its partitions is no longer owned here (a shard
 * just given back) is sent again one commit at a time, so that partition's refusal is its own and
 * the others still commit. Any other failure fails the whole batch: each shard's next flush
 * commits again.
 */
import { PlatformError } from '../../platform/errors.ts';
import type { OwnedCommit } from '../../platform/kafka.ts';

export type CommitOne = (offset: OwnedCommit) => Promise<void>;

interface Waiting {
  readonly offset: OwnedCommit;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

export const createCommitBatcher = (commit: (offsets: readonly OwnedCommit[]) => Promise<void>, defer: (run: () => void) => void = setImmediate): CommitOne => {
  let queue: Waiting[] = [];
  const send = async (batch: readonly Waiting[]): Promise<void> => {
    try {
      await commit(batch.map((w) => w.offset));
      for (const w of batch) w.resolve();
    } catch (e) {
      if (batch.length === 1 || !(e instanceof PlatformError) || e.code !== 'KAFKA_NOT_OWNER') {
        for (const w of batch) w.reject(e);
        return;
      }
      await Promise.all(batch.map((w) => commit([w.offset]).then(w.resolve, w.reject)));
    }
  };
  return (offset) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ offset, resolve, reject });
      if (queue.length > 1) return;
      defer(() => {
        const batch = queue;
        queue = [];
        void send(batch);
      });
    });
};
