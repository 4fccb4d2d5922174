/**
 * The page's scripts are TypeScript checked against the DOM by their own
 * tsconfig (the root one has no DOM types); this runs that check, and bundles the page as the
 * console does at start.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { bundlePage } from '../../../services/console/console.ts';

describe('the page', () => {
  it('typechecks against the DOM', async () => {
    const run = promisify(execFile);
    const r = await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'services/console/web/tsconfig.json'], { timeout: 120_000 }).catch((e: { stdout?: string; code?: number }) => ({ stdout: e.stdout ?? '', stderr: '', code: e.code }));
    expect(r.stdout).toBe('');
  }, 120_000);

  it('bundles with Chart.js, and the HTML names every element the scripts look up', async () => {
    const page = await bundlePage();
    expect(page.js.length).toBeGreaterThan(100_000);
    expect(page.js).toContain('/api/stream');
    for (const id of ['signin-form', 'tree', 'tree-filter', 'dispatch-form', 'dispatch-submit', 'fulfillment-chart', 'cancel-event', 'forecast-status', 'tiers-body', 'site-events']) {
      expect(page.html).toContain(`id="${id}"`);
    }
    expect(page.css).toContain('[hidden]');
  }, 60_000);
});
