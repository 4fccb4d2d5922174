/**
 * Starts the console: bundles the page, follows site locations in the background, opens the
 * HTTP server. Everything it talks to is passed in through the config; `close` stops it all.
 * Nothing here waits on ClickHouse, and no operational service waits on the console.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/logger.ts';
import { createAnalytics } from './analytics.ts';
import type { ConsoleConfig } from './config.ts';
import { createConsoleApp, type Page } from './http-server.ts';
import { listen } from '../platform/http-server.ts';
import { createLiveFeed } from './live-feed.ts';
import { createSessions } from './sessions.ts';
import { createSignInThrottle, DEFAULT_THROTTLE } from './sign-in-throttle.ts';
import { followSiteLocations, type SiteLocations } from './site-locations.ts';
import { REPO_ROOT } from '../platform/repo-root.ts';

const WEB = join(REPO_ROOT, 'services/console/web');

/** The page: index.html and app.css as they are, app.ts bundled (with Chart.js) by esbuild into app.js. */
export const bundlePage = async (): Promise<Page> => {
  const out = await build({
    entryPoints: [join(WEB, 'app.ts')], bundle: true, format: 'esm', platform: 'browser', target: 'es2022',
    minify: true, write: false, legalComments: 'none', logLevel: 'silent',
  });
  const js = out.outputFiles[0]?.text;
  if (js === undefined) throw new Error('the page bundle is empty');
  return { html: readFileSync(join(WEB, 'index.html'), 'utf8'), css: readFileSync(join(WEB, 'app.css'), 'utf8'), js };
};

export interface ConsoleHandle {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export const startConsole = async (config: ConsoleConfig, deps: { logger: Logger; clock: Clock; instanceId: string }): Promise<ConsoleHandle> => {
  const page = await bundlePage();
  const held: { locations: SiteLocations | null } = { locations: null };
  let stopped = false;
  if (config.siteLocations) {
    followSiteLocations(config.platform, deps.logger, deps.instanceId).then(
      (l) => {
        if (stopped) void l.stop();
        else held.locations = l;
      },
      (e: unknown) => deps.logger.warn('site locations unavailable: the map stays empty', { error: e instanceof Error ? e.message : String(e) }),
    );
  }
  const analytics = createAnalytics({ url: config.platform.clickhouseUrl, user: config.clickhouseUser, password: config.clickhousePassword, timeoutMs: config.analyticsTimeoutMs, now: () => deps.clock.now() });
  const feed = createLiveFeed({ config, now: () => deps.clock.now(), realNow: () => Date.now(), locations: () => held.locations?.locations ?? new Map(), analytics: () => analytics.state() });
  const sessions = createSessions({ newId: () => randomBytes(24).toString('base64url'), now: () => Date.now() });
  const app = await createConsoleApp({ config, sessions, feed, analytics, page, logger: deps.logger, signIns: createSignInThrottle({ ...DEFAULT_THROTTLE, failures: config.signInFailures }), now: () => Date.now() });
  const bound = await listen(app, config.port, config.host).catch(async (e: unknown) => {
    stopped = true;
    feed.close();
    await app.close();
    await held.locations?.stop();
    throw e;
  });
  return {
    url: bound.url,
    port: bound.port,
    async close() {
      stopped = true;
      // The live streams first: they never end on their own, and close waits for every connection.
      feed.close();
      app.server.closeAllConnections();
      await app.close();
      await held.locations?.stop();
    },
  };
};
