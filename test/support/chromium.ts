/**
 * Headless Chromium for the browser tests: Debian's `chromium` package driven by playwright-core
 * (which downloads no browser of its own). When it is missing and we run as root with apt-get,
 * it is installed once, as the stack installs redis-server; otherwise the error says how.
 * CHROMIUM_PATH points at another binary.
 */
import { chromium, type Browser } from 'playwright-core';
import { run, which } from '../../services/embedded/stack/processes.ts';

const CANDIDATES = ['chromium', '/usr/bin/chromium', 'chromium-browser', '/usr/bin/chromium-browser'];

export const findChromium = async (): Promise<string | undefined> => {
  const given = process.env['CHROMIUM_PATH'];
  if (given !== undefined && given !== '') return given;
  for (const c of CANDIDATES) {
    const found = await which(c);
    if (found !== undefined) return found;
  }
  return undefined;
};

export const ensureChromium = async (): Promise<string> => {
  const found = await findChromium();
  if (found !== undefined) return found;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || (await which('apt-get')) === undefined) {
    throw new Error("chromium is not installed: run 'sudo apt-get install -y chromium' (Debian) or set CHROMIUM_PATH, and retry");
  }
  process.stderr.write('browser tests: installing Debian chromium (first run only, about a minute)...\n');
  await run('apt-get', ['update', '-qq']);
  await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], { env: { DEBIAN_FRONTEND: 'noninteractive' } });
  const installed = await findChromium();
  if (installed === undefined) throw new Error('apt-get installed chromium but it is not on PATH');
  return installed;
};

export const launchChromium = async (): Promise<Browser> =>
  chromium.launch({
    executablePath: await ensureChromium(),
    headless: true,
    // --no-sandbox: the tests run as root on CI, where Chromium's sandbox refuses to start.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });

// `npx tsx test/support/chromium.ts` installs it ahead of a test run.
if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  ensureChromium().then(
    (p) => process.stdout.write(`chromium: ${p}\n`),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
