/** The console process: `npm run console` (CONSOLE_PORT, default 8093; docs/console.md). */
import { exitIfHelp } from '../platform/cli-help.ts';
import { clockFor } from '../platform/clock.ts';
import { createLogger } from '../platform/logger.ts';
import { failStartup } from '../platform/startup.ts';
import { parseConsoleConfig } from './config.ts';
import { startConsole } from './console.ts';

exitIfHelp(process.argv.slice(2), `usage: npm run console
  The operations console on CONSOLE_PORT (8093): sign in with a control token; it reads control,
  the asset actors, the gateway, ingest and ClickHouse (CONSOLE_* variables, docs/console.md).`);

try {
  const config = parseConsoleConfig(process.env);
  const logger = createLogger(config.platform.logLevel, { service: 'console' });
  const handle = await startConsole(config, { logger, clock: clockFor(config.platform.sim), instanceId: `console-${process.pid}` });
  logger.info('console started', { url: handle.url, control: config.controlUrl, assets: config.assetsUrl });
  process.stdout.write(`console: ${handle.url}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(1), 10_000).unref();
    void handle.close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} catch (e) {
  failStartup('console')(e);
}
