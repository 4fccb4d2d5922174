/**
 * One entry for every service and command: `gridfleet <name> [args]` (the container image's
 * entrypoint, and `npm run service -- <name>` from a checkout). From source it loads the module
 * through tsx; from a build (`npm run build`, dist/gridfleet.js) it loads the bundle of that name
 * next to it, so the image runs plain JavaScript with node and compiles nothing at start.
 */
import { SERVICE_ENTRIES, isServiceName, SERVICE_NAMES } from './service-entries.ts';

const usage = `usage: gridfleet <service> [args]
services and commands: ${SERVICE_NAMES.join(', ')}
  e.g. gridfleet gateway | gridfleet forecast worker | gridfleet sql "SELECT 1"`;

const main = async (): Promise<void> => {
  const name = process.argv[2];
  if (name === undefined || name === '--help' || name === '-h') {
    process.stdout.write(`${usage}\n`);
    process.exit(name === undefined ? 2 : 0);
  }
  if (!isServiceName(name)) {
    process.stderr.write(`unknown service ${name}\n${usage}\n`);
    process.exit(2);
  }
  // The service reads its own arguments from process.argv.slice(2), as when run directly.
  process.argv.splice(2, 1);
  const built = import.meta.url.endsWith('.js');
  const target: string = built ? new URL(`./${name}.js`, import.meta.url).href : new URL(SERVICE_ENTRIES[name], import.meta.url).href;
  await import(target);
};

await main();
