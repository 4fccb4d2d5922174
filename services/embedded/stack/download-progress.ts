/**
 * What the stack says while Maven fetches the Kafka jars (first run only): Maven runs quietly
 * (-q), so every few seconds the stack reports how much has arrived in the local Maven repository
 * and, for the pinned Kafka version whose jar set size is known, the percentage of it.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Bytes of the files under dir (0 when it does not exist). */
export const treeBytes = (dir: string): number => {
  let total = 0;
  const walk = (d: string): void => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        try {
          total += statSync(p).size;
        } catch {
          // A file Maven renamed between the listing and the stat.
        }
      }
    }
  };
  walk(dir);
  return total;
};

const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);

/** One progress line. expectedBytes null: the size is not known (a Kafka version other than the pinned one). */
export const downloadProgressLine = (elapsedMs: number, arrivedBytes: number, expectedBytes: number | null): string => {
  const arrived = Math.max(0, arrivedBytes);
  const seconds = Math.round(elapsedMs / 1000);
  if (expectedBytes === null || expectedBytes <= 0) return `stack:   ...${seconds} s, ${mb(arrived)} MB downloaded`;
  // Maven also fetches its own plugins on a first run: never claim 100 % before it has finished.
  const pct = Math.min(99, Math.floor((100 * arrived) / expectedBytes));
  return `stack:   ...${seconds} s, ${mb(Math.min(arrived, expectedBytes))} of about ${mb(expectedBytes)} MB (${pct} %)`;
};
