/**
 * The console in headless Chromium against the real embedded stack: an operator finds a region,
 * dispatches 2 MW, watches the measured line reach the target and cancels; a viewer finds dispatch
 * refused; a customer sees only their site; with ClickHouse stopped the tree and dispatch still
 * work and the forecast panel says analytics is unavailable. Screenshots of each view go to
 * .state/test-output/console/ (and to docs/img/ with CONSOLE_SCREENSHOTS_TO_DOCS=1).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../support/chromium.ts';
import { testStack } from '../../support/clients.ts';
import { createConsoleWorld, CUSTOMER_TOKEN, TOKENS, type ConsoleWorld } from './console-world.ts';
import { seedForecastDay } from './forecast-rows.ts';

const OUT = join('.state', 'test-output', 'console');
const DOCS = join('docs', 'img');

describe('operations console in a browser', () => {
  let world: ConsoleWorld;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    [world, browser] = await Promise.all([createConsoleWorld(), launchChromium()]);
  });

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  const shot = async (page: Page, name: string): Promise<void> => {
    const file = join(OUT, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    if (process.env['CONSOLE_SCREENSHOTS_TO_DOCS'] === '1') {
      mkdirSync(DOCS, { recursive: true });
      copyFileSync(file, join(DOCS, `console-${name}.png`));
    }
  };

  const signIn = async (token: string, siteId = ''): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    await page.goto(world.console.url);
    await page.fill('#signin-token', token);
    if (siteId !== '') await page.fill('#signin-site', siteId);
    await page.press('#signin-token', 'Enter');
    await page.locator('#app').waitFor({ state: 'visible' });
    return page;
  };

  const findRegion = async (page: Page, regionId: string): Promise<void> => {
    await page.locator(`[data-asset-id="${world.fleetId}"]`).waitFor();
    await page.fill('#tree-filter', regionId.slice(-8));
    const row = page.locator(`[data-asset-id="${regionId}"]`);
    await row.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.textContent('#node-title')).toContain(regionId);
  };

  /** Dispatches from the selected tree node and waits for the chart's measured line to reach the target. */
  const dispatchAndWatch = async (page: Page, targetMw: number): Promise<void> => {
    await page.click('#dispatch-from-node');
    await expect.poll(() => page.inputValue('#dispatch-scope')).not.toBe('');
    await page.fill('#dispatch-target', String(targetMw));
    await page.fill('#dispatch-duration', '30');
    await page.click('#dispatch-submit');
    await expect.poll(() => page.textContent('#dispatch-message'), { timeout: 15_000 }).toMatch(/created/);
    const canvas = page.locator('#fulfillment-chart');
    await expect.poll(async () => Number(await canvas.getAttribute('data-target-kw')), { timeout: 15_000 }).toBe(targetMw * 1000);
    await expect.poll(async () => Number(await canvas.getAttribute('data-measured-kw')), { timeout: 45_000, interval: 500 }).toBeGreaterThanOrEqual(targetMw * 1000 * 0.999);
  };

  const cancelSelected = async (page: Page): Promise<void> => {
    await page.click('#cancel-event');
    await expect.poll(() => page.textContent('#cancel-why'), { timeout: 15_000 }).toMatch(/cancelled/);
    await expect.poll(() => [...world.batteryKw.values()].every((kw) => kw === 0), { timeout: 20_000 }).toBe(true);
    await expect.poll(() => page.textContent('#fulfillment-title'), { timeout: 10_000 }).toMatch(/cancelled/);
  };

  it('operator: finds a region, dispatches 2 MW, sees the measured line reach the target, cancels', async () => {
    const page = await signIn(TOKENS.operator);
    expect(await page.textContent('#role-badge')).toBe('operator');
    await findRegion(page, world.regionA);
    // The region's live aggregate: all eight sites report through the gateway and the asset actors.
    // (A fresh assets group first works through the telemetry other tests left on the stack: up to a minute or so in a full run.)
    await expect.poll(() => page.textContent('#node-aggregate'), { timeout: 120_000 }).toContain('8 devices of 8 devices');
    expect(await page.textContent('#node-aggregate')).toMatch(/Discharge headroom\s*2\.40 MW/);
    await page.fill('#tree-filter', '');
    await expect.poll(async () => (await page.textContent('#map-note')) ?? '', { timeout: 20_000 }).toMatch(/^\d+ sites on the map/);
    await shot(page, 'fleet');

    await dispatchAndWatch(page, 2);
    expect(await page.textContent('#fulfillment-summary')).toMatch(/Measured 2\.00 MW of the 2\.00 MW target \(100 %\)/);
    expect(await page.textContent('#fulfillment-commands')).toContain('8 sites of 8 sites');
    await shot(page, 'dispatch');
    await cancelSelected(page);

    await page.click('#tab-health');
    const control = page.locator('tr[data-tier="control"] td').first();
    await expect.poll(() => control.textContent(), { timeout: 10_000 }).toBe('up');
    // Ingest is not running in this world: the panel says so rather than pretending.
    expect(await page.locator('tr[data-tier="ingest"] td').first().textContent()).toBe('down');
    await expect.poll(() => page.textContent('#health-figures')).toMatch(/Dispatch to all delivered \(last event sent from this console\)\s*[\d.]+ (ms|s)/);
    await shot(page, 'health');

    await page.click('#tab-forecasts');
    // Region B: ClickHouse is up but nothing forecast it: an honest "no forecast", not "unavailable".
    await page.fill('#forecast-scope', world.regionB);
    await page.click('#forecast-load');
    const status = page.locator('#forecast-status');
    await expect.poll(() => status.getAttribute('data-state'), { timeout: 15_000 }).toBe('empty');
    // Region A: a forecast run and what happened, in ClickHouse as ingest would have put them.
    const seeded = await seedForecastDay({ region: world.regionA, ...world.a, nowMs: Date.now() });
    await page.fill('#forecast-scope', world.regionA);
    await page.click('#forecast-load');
    await expect.poll(() => status.getAttribute('data-state'), { timeout: 15_000 }).toBe('ok');
    expect(await status.textContent()).toContain(`run ${seeded.runId}`);
    expect(await status.textContent()).toContain('8 sites');
    await expect.poll(() => page.locator('#fc-error-table tr').count()).toBeGreaterThan(4);
    expect(await page.textContent('#fc-error-table')).toMatch(/solar MAE \(bias\)/);
    // Horizon 1 h: solar, load, temperature and carbon errors, each with its unit.
    expect(await page.textContent('#fc-error-table')).toMatch(/1 h[\d.]+ kW \([+-]?[\d.]+ kW\)[\d.]+ kW \([+-]?[\d.]+ kW\)[\d.]+ °C \([+-]?[\d.]+ °C\)[\d.]+ gCO₂\/kWh/);
    await shot(page, 'forecasts');
    await page.close();
  });

  it('viewer: sees the fleet and events, and dispatch is refused', async () => {
    const page = await signIn(TOKENS.viewer);
    expect(await page.textContent('#role-badge')).toBe('viewer');
    await findRegion(page, world.regionA);
    expect(await page.isDisabled('#dispatch-from-node')).toBe(true);
    await page.click('#tab-dispatch');
    expect(await page.isDisabled('#dispatch-submit')).toBe(true);
    expect(await page.textContent('#dispatch-why')).toContain('a viewer may not create or cancel grid events');
    // The events the operator created are there to read.
    await expect.poll(() => page.locator('#events-body tr').count(), { timeout: 10_000 }).toBeGreaterThan(0);
    // Going around the page: the console refuses, and so does control behind it.
    const viaConsole = await page.evaluate(async () => (await fetch('/api/events', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'VPP_DISPATCH', scopeAssetId: 'x', targetMw: 1, durationMin: 5 }) })).status);
    expect(viaConsole).toBe(403);
    await shot(page, 'viewer-dispatch');
    await page.close();
  });

  it('customer: sees only their site, no fleet, no dispatch', async () => {
    const page = await signIn(CUSTOMER_TOKEN, world.customerSite);
    expect(await page.isVisible('#tab-fleet')).toBe(false);
    expect(await page.isVisible('#tab-dispatch')).toBe(false);
    await expect.poll(() => page.textContent('#site-title')).toContain(world.customerSite);
    await expect.poll(() => page.textContent('#site-state'), { timeout: 10_000 }).toContain('State of charge');
    const forecasts = await page.evaluate(async () => (await fetch('/api/forecast?scope=fleet')).status);
    expect(forecasts).toBe(403);
    // A wrong site for this token is refused at sign-in.
    const other = await browser.newPage();
    await other.goto(world.console.url);
    await other.fill('#signin-token', CUSTOMER_TOKEN);
    await other.fill('#signin-site', world.sites[1] ?? '');
    await other.click('#signin-submit');
    await expect.poll(() => other.textContent('#signin-error')).toContain('does not control');
    await other.close();
    await page.close();
  });

  it('with ClickHouse stopped: the tree and dispatch work, the forecast panel says analytics is unavailable', async () => {
    const stack = testStack();
    await stack.down(['clickhouse']);
    try {
      const page = await signIn(TOKENS.operator);
      await page.click('#tab-forecasts');
      await page.fill('#forecast-scope', world.regionA);
      await page.click('#forecast-load');
      const status = page.locator('#forecast-status');
      await expect.poll(() => status.getAttribute('data-state'), { timeout: 10_000 }).toBe('unavailable');
      expect(await status.textContent()).toMatch(/^Analytics unavailable/);
      await shot(page, 'analytics-down');

      await page.click('#tab-fleet');
      await findRegion(page, world.regionA);
      await expect.poll(() => page.textContent('#node-aggregate'), { timeout: 20_000 }).toContain('8 devices of 8 devices');
      await dispatchAndWatch(page, 1);
      await cancelSelected(page);
      await page.click('#tab-health');
      await expect.poll(() => page.locator('tr[data-tier="analytics (ClickHouse)"] td').first().textContent(), { timeout: 10_000 }).toBe('down');
      await page.close();
    } finally {
      await stack.up();
    }
  });
});
