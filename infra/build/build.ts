/**
 * `npm run build`: plain JavaScript that node runs directly, one bundle per service in dist/
 * (dist/<name>.js, see services/service-entries.ts) plus dist/gridfleet.js, the entry that picks
 * one by name. Our code is bundled; packages stay in node_modules (`packages: 'external'`), so the
 * native engines (chDB) and kafkajs load as they do from source. Run-time files (schemas/, infra/,
 * the console's page) are read from the checkout or image the bundle sits in.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { exitIfHelp } from '../../services/platform/cli-help.ts';
import { REPO_ROOT } from '../../services/platform/repo-root.ts';
import { SERVICE_ENTRIES } from '../../services/service-entries.ts';

exitIfHelp(process.argv.slice(2), `usage: npm run build
  Bundles every service into plain JavaScript in dist/ (dist/<service>.js and dist/gridfleet.js,
  which runs one by name: node dist/gridfleet.js gateway). Packages stay in node_modules.`);
const outdir = join(REPO_ROOT, 'dist');
rmSync(outdir, { recursive: true, force: true });
const started = Date.now();
const entryPoints = [
  { in: join(REPO_ROOT, 'services/main.ts'), out: 'gridfleet' },
  ...Object.entries(SERVICE_ENTRIES).map(([name, file]) => ({ in: join(REPO_ROOT, 'services', file), out: name })),
];
const result = await build({
  entryPoints,
  outdir,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
  metafile: true,
});
const bytes = Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith('.js')).map(([f, o]) => [f, o.bytes] as const);
for (const [f, b] of bytes) process.stdout.write(`  ${f.replace(`${REPO_ROOT}/`, '')}  ${(b / 1024).toFixed(0)} KiB\n`);
process.stdout.write(`built ${bytes.length} bundles into dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
