/** Where the embedded stack keeps its files, all under the git-ignored state folder. */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export type PartName = 'kafka' | 'registry' | 'redis' | 'clickhouse';

export interface StackLayout {
  readonly stateDir: string;
  readonly logsDir: string;
  /** Jars and other downloads, shared by every state folder of this checkout. */
  readonly cacheDir: string;
  dataDir(part: PartName): string;
  pidFile(part: PartName): string;
  logFile(part: PartName): string;
}

export const stackLayout = (stateDir: string, cacheDir = '.state/cache'): StackLayout => {
  const root = resolve(REPO_ROOT, stateDir);
  return {
    stateDir: root,
    logsDir: join(root, 'logs'),
    cacheDir: resolve(REPO_ROOT, cacheDir),
    dataDir: (part) => join(root, part),
    pidFile: (part) => join(root, 'run', `${part}.pid`),
    logFile: (part) => join(root, 'logs', `${part}.log`),
  };
};
