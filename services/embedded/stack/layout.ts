/** Where the embedded stack keeps its files, all under the git-ignored state folder. */
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '../../platform/repo-root.ts';

export { REPO_ROOT };

export type PartName = 'kafka' | 'registry' | 'redis' | 'clickhouse';

/**
 * A process the stack runs: a part, or one node of the Kafka cluster (`kafka-1`..`kafka-N` when
 * KAFKA_BROKER_COUNT > 1; the single broker keeps the name `kafka` and its files).
 */
export type ProcessName = PartName | `kafka-${number}`;

export interface StackLayout {
  readonly stateDir: string;
  readonly logsDir: string;
  /** Jars and other downloads, shared by every state folder of this checkout. */
  readonly cacheDir: string;
  dataDir(part: ProcessName): string;
  /** Where run/<name>.pid files live (`down` looks there for every Kafka node it may have started). */
  readonly runDir: string;
  pidFile(part: ProcessName): string;
  logFile(part: ProcessName): string;
}

export const stackLayout = (stateDir: string, cacheDir = '.state/cache'): StackLayout => {
  const root = resolve(REPO_ROOT, stateDir);
  return {
    stateDir: root,
    logsDir: join(root, 'logs'),
    cacheDir: resolve(REPO_ROOT, cacheDir),
    // Cluster nodes keep their data apart from the single broker's: the two are formatted for
    // different quorums, and switching modes must not reuse one for the other.
    dataDir: (part) => (/^kafka-\d+$/.test(part) ? join(root, 'kafka-cluster', part) : join(root, part)),
    runDir: join(root, 'run'),
    pidFile: (part) => join(root, 'run', `${part}.pid`),
    logFile: (part) => join(root, 'logs', `${part}.log`),
  };
};
