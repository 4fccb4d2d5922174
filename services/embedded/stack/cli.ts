/** `npm run stack -- up [part ...] | down [part ...] | status | migrate`: the embedded stack. */
import { parseConfig } from '../../platform/config.ts';
import { describeError, isPlatformError } from '../../platform/errors.ts';
import { createLogger } from '../../platform/logger.ts';
import type { PartName } from './layout.ts';
import { ALL_PARTS, createStack } from './stack.ts';

const usage = `usage: npm run stack -- <up|down> [part ...] | status | migrate
  up [part ...]    start what is not running (idempotent) and wait until every part answers
  down [part ...]  stop what 'up' started
  status           every part's port, pid and health
  migrate          apply the topic catalog, register the schemas and apply the ClickHouse
                   migrations (infra/clickhouse/migrations); 'up' does this too
Parts: ${ALL_PARTS.join(' ')} (default: all).
Ports: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), REGISTRY_PORT (8081), CLICKHOUSE_PORT (8123),
REDIS_PORT (6379); data: GRIDFLEET_STATE_DIR (.state, relative to the repository root)`;

/** Commands that act on every part: naming parts for them is a usage error, not silently ignored. */
const takesParts: ReadonlySet<string> = new Set(['up', 'down']);

const main = async (argv: readonly string[]): Promise<number> => {
  const [command, ...rest] = argv;
  const unknown = rest.filter((p) => !ALL_PARTS.includes(p as PartName));
  if (unknown.length > 0 || command === undefined) {
    process.stderr.write(`${unknown.length > 0 ? `unknown part(s): ${unknown.join(', ')}\n` : ''}${usage}\n`);
    return 2;
  }
  if (rest.length > 0 && !takesParts.has(command)) {
    process.stderr.write(`'${command}' takes no parts (it covers all of them)\n${usage}\n`);
    return 2;
  }
  const parts = rest.length > 0 ? (rest as PartName[]) : ALL_PARTS;
  const config = parseConfig(process.env);
  const stack = createStack(config, createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, { service: 'stack' }));
  switch (command) {
    case 'up': {
      const r = await stack.up(parts);
      process.stdout.write(`stack up in ${r.seconds.toFixed(1)}s (started: ${r.started.join(', ') || 'none'}; already running: ${r.alreadyRunning.join(', ') || 'none'})\n`);
      process.stdout.write(`  Kafka      127.0.0.1:${config.ports.kafka}\n  registry   ${config.registryUrl}\n  ClickHouse ${config.clickhouseUrl}\n  Redis      ${config.redisUrl}\n  logs       ${stack.layout.logsDir}\n`);
      return 0;
    }
    case 'down': {
      const stopped = await stack.down(parts);
      process.stdout.write(`stopped: ${stopped.join(', ') || 'nothing was running'}\n`);
      return 0;
    }
    case 'status': {
      const rows = await stack.status();
      process.stdout.write(`${'part'.padEnd(11)}${'port'.padEnd(7)}${'pid'.padEnd(9)}state\n`);
      for (const r of rows) process.stdout.write(`${r.name.padEnd(11)}${String(r.port).padEnd(7)}${String(r.pid ?? '-').padEnd(9)}${r.state}\n`);
      return rows.every((r) => r.state === 'up') ? 0 : 3;
    }
    case 'migrate': {
      const r = await stack.migrate();
      process.stdout.write(`topics created: ${r.topicsCreated.join(', ') || 'none (all present)'}\nschemas: ${Object.entries(r.schemaIds).map(([t, id]) => `${t}=${id}`).join(', ')}\nclickhouse migrations applied: ${r.clickhouseApplied.join(', ') || 'none (up to date)'}\n`);
      return 0;
    }
    default:
      process.stderr.write(`${usage}\n`);
      return 2;
  }
};

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`stack: ${isPlatformError(e) ? `[${e.code}] ` : ''}${describeError(e)}\n`);
    process.exit(1);
  },
);
