/**
 * Screenshots of a running console's main views, for the README: `npx tsx
 * test/support/console-screenshots.ts [consoleUrl] [outDir] [regionId] [targetMw]` while `npm run demo`
 * runs (defaults: http://127.0.0.1:8093, docs/img, region-01, 0.2). Signs in as the demo's
 * operator, picks the region, dispatches, and saves fleet, dispatch, forecasts and health.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium } from './chromium.ts';

const [url = 'http://127.0.0.1:8093', out = 'docs/img', region = 'region-01', targetMw = '0.2'] = process.argv.slice(2);
mkdirSync(out, { recursive: true });
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  const shot = (name: string) => page.screenshot({ path: join(out, `console-${name}.png`), fullPage: true });
  await page.goto(url);
  await page.fill('#signin-token', process.env['CONSOLE_TOKEN'] ?? 'dev-operator-token');
  await page.press('#signin-token', 'Enter');
  await page.locator(`[data-asset-id="${region}"]`).waitFor({ timeout: 30_000 });
  await page.locator(`[data-asset-id="${region}"]`).focus();
  await page.keyboard.press('Enter');
  await page.waitForTimeout(3000);
  await shot('fleet');
  await page.click('#dispatch-from-node');
  await page.fill('#dispatch-target', targetMw);
  await page.fill('#dispatch-duration', '60');
  await page.fill('#dispatch-reason', 'evening peak');
  await page.click('#dispatch-submit');
  await page.waitForTimeout(Number(process.env['CONSOLE_WATCH_MS'] ?? '40000'));
  await shot('dispatch');
  await page.click('#tab-forecasts');
  await page.fill('#forecast-scope', region);
  await page.click('#forecast-load');
  for (let i = 0; i < 60 && (await page.getAttribute('#forecast-status', 'data-state')) === 'loading'; i++) await page.waitForTimeout(250);
  await page.waitForTimeout(1000);
  await shot('forecasts');
  await page.click('#tab-health');
  await page.waitForTimeout(3000);
  await shot('health');
  process.stdout.write(`screenshots in ${out}\n`);
} finally {
  await browser.close();
}
