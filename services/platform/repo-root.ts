/**
 * The folder of the gridfleet checkout (or image) the code runs from: the nearest folder above
 * `from` whose package.json is gridfleet's. Paths to schemas/, infra/ and the console's page are
 * built from it, so they are right whether the code runs from services/ through tsx or from a
 * bundle in dist/ (`npm run build`), where a fixed '../..' from the module would point elsewhere.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const isGridfleet = (dir: string): boolean => {
  const pkg = join(dir, 'package.json');
  if (!existsSync(pkg)) return false;
  try {
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'gridfleet';
  } catch {
    return false;
  }
};

export const findRepoRoot = (from: string): string => {
  for (let dir = from; ; dir = dirname(dir)) {
    if (isGridfleet(dir)) return dir;
    if (dirname(dir) === dir) throw new Error(`no gridfleet package.json above ${from}`);
  }
};

export const REPO_ROOT = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
