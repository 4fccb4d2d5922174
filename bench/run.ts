/** Entry point of `npm run bench -- <name> [--json] [--key=value ...]`. */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { helpRequested } from '../services/platform/cli-help.ts';
import type { Benchmark, BenchOutcome } from './types.ts';

const here = dirname(fileURLToPath(import.meta.url));
const available = (): string[] =>
  readdirSync(here)
    // Helpers of the benchmarks start with an underscore.
    .filter((f) => f.endsWith('.ts') && !['run.ts', 'types.ts'].includes(f) && !f.startsWith('_'))
    .map((f) => f.replace(/\.ts$/, ''));

const parseArgs = (argv: readonly string[]): { name: string | undefined; json: boolean; options: Record<string, string> } => {
  const options: Record<string, string> = {};
  let name: string | undefined;
  let json = false;
  for (const a of argv) {
    if (a === '--json') json = true;
    else if (a.startsWith('--')) {
      const [k, ...v] = a.slice(2).split('=');
      if (k) options[k] = v.length > 0 ? v.join('=') : 'true';
    } else name ??= a;
  }
  return { name, json, options };
};

const printTable = (title: string, outcome: BenchOutcome): void => {
  const rows = [...outcome.rows, ...Object.entries(outcome.parameters).map(([k, v]) => [`param ${k}`, String(v)] as const)];
  const w0 = Math.max(...rows.map((r) => r[0].length), 6);
  const w1 = Math.max(...rows.map((r) => r[1].length), 5);
  process.stdout.write(`\n${title}\n${'-'.repeat(w0 + w1 + 5)}\n`);
  for (const r of rows) process.stdout.write(`${r[0].padEnd(w0)}  ${r[1].padStart(w1)}  ${r[2] ?? ''}\n`);
};

const main = async (): Promise<number> => {
  const { name, json, options } = parseArgs(process.argv.slice(2));
  const usage = `usage: npm run bench -- <name> [--json] [--key=value ...]\navailable: ${available().join(', ')}\n` +
    'Each benchmark prints its figures as a table (or one JSON line with --json); options are in its file under bench/.\n';
  if (helpRequested(process.argv.slice(2))) {
    process.stdout.write(usage);
    return 0;
  }
  if (name === undefined || !available().includes(name)) {
    process.stderr.write(usage);
    return 2;
  }
  const mod = (await import(pathToFileURL(join(here, `${name}.ts`)).href)) as { default: Benchmark };
  const outcome = await mod.default.run({ options, progress: (l) => process.stderr.write(`[${name}] ${l}\n`) });
  printTable(`${mod.default.name}: ${mod.default.description}`, outcome);
  if (json) process.stdout.write(JSON.stringify({ bench: name, ...outcome.parameters, ...outcome.metrics }) + '\n');
  return 0;
};

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
