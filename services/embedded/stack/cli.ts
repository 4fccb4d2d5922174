/** `npm run stack -- up [part ...] | down [part ...] | status | migrate`: the embedded stack. */
import { helpRequested } from '../../platform/cli-help.ts';
import { parseConfig } from '../../platform/config.ts';
import { describeError, isPlatformError } from '../../platform/errors.ts';
import { createLogger } from '../../platform/logger.ts';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { stackLayout, type PartName } from './layout.ts';
import { ALL_PARTS, createStack } from './stack.ts';

const usage = `usage: npm run stack -- <up|down> [part ...] | status | migrate   [--brokers=1|3] [--secure]
  up [part ...]    start what is not running (idempotent) and wait until every part answers
  --secure         (up) the authenticated backbone: Kafka with SASL/SCRAM-SHA-512 over TLS (SASL_SSL,
                   a CA the stack makes in <state>/secrets/tls) and ACLs (deny by
                   default, one principal per service), the registry with basic auth, Redis and
                   ClickHouse with passwords; each service's credentials in <state>/secrets/<service>.env
                   (docs/security.md). status, down and migrate follow the mode the stack runs in
  --brokers=3      three KRaft brokers (ports KAFKA_PORT, +2, +4; controllers KAFKA_CONTROLLER_PORT,
                   +2, +4), topics replicated 3 times with min.insync.replicas=2; the same as
                   KAFKA_BROKER_COUNT=3, which services need too so KAFKA_BROKERS lists every node.
                   status and down find a running cluster without it
  down [part ...]  stop what 'up' started
  status           every part's port, pid and health
  migrate          apply the topic catalog, register the schemas and apply the ClickHouse
                   migrations (infra/clickhouse/migrations); 'up' does this too
Parts: ${ALL_PARTS.join(' ')} (default: all).
Ports: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), REGISTRY_PORT (8081), CLICKHOUSE_PORT (8123),
REDIS_PORT (6379); data: GRIDFLEET_STATE_DIR (.state, relative to the repository root)`;

/** Commands that act on every part: naming parts for them is a usage error, not silently ignored. */
const takesParts: ReadonlySet<string> = new Set(['up', 'down']);

/** The broker count: --brokers=N, else KAFKA_BROKER_COUNT, else (status, down) the nodes that run. */
const brokerCount = (flag: string | undefined, command: string | undefined): string | undefined => {
  if (flag !== undefined) return flag;
  if (process.env['KAFKA_BROKER_COUNT'] !== undefined || (command !== 'status' && command !== 'down')) return process.env['KAFKA_BROKER_COUNT'];
  const single = parseConfig(process.env);
  const layout = stackLayout(single.stateDir, single.cacheDir);
  const nodes = existsSync(layout.runDir) ? readdirSync(layout.runDir).filter((f) => /^kafka-\d+\.pid$/.test(f)) : [];
  return nodes.length > 0 ? String(nodes.length) : undefined;
};

const main = async (argv: readonly string[]): Promise<number> => {
  if (helpRequested(argv)) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const flags = argv.filter((a) => a.startsWith('--'));
  const badFlag = flags.find((f) => !/^--brokers=\d+$/.test(f) && f !== '--secure');
  if (badFlag !== undefined) {
    process.stderr.write(`unknown option ${badFlag}\n${usage}\n`);
    return 2;
  }
  const [command, ...rest] = argv.filter((a) => !a.startsWith('--'));
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
  const secure = flags.includes('--secure');
  if (secure && command !== 'up') {
    process.stderr.write(`--secure belongs to 'up'; '${command}' follows the mode the stack runs in\n${usage}\n`);
    return 2;
  }
  const brokers = brokerCount(flags.find((f) => f.startsWith('--brokers='))?.slice('--brokers='.length), command);
  const config = parseConfig(brokers === undefined ? process.env : { ...process.env, KAFKA_BROKER_COUNT: brokers });
  const stack = createStack(config, createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, { service: 'stack' }), command === 'up' ? { secure } : {});
  switch (command) {
    case 'up': {
      const r = await stack.up(parts);
      process.stdout.write(`stack up in ${r.seconds.toFixed(1)}s (started: ${r.started.join(', ') || 'none'}; already running: ${r.alreadyRunning.join(', ') || 'none'})\n`);
      process.stdout.write(`  Kafka      ${config.kafkaBrokers.join(',')}${config.kafkaBrokerCount > 1 ? ` (replication ${config.kafkaReplicationFactor}, min.insync.replicas ${Math.max(1, config.kafkaReplicationFactor - 1)}; give services KAFKA_BROKER_COUNT=${config.kafkaBrokerCount})` : ''}\n  registry   ${config.registryUrl}\n  ClickHouse ${config.clickhouseUrl}\n  Redis      ${config.redisUrl}\n  logs       ${stack.layout.logsDir}\n`);
      if (stack.mode === 'secure') process.stdout.write(`  secured:   SASL_SSL (SCRAM-SHA-512, CA ${join(stack.layout.stateDir, 'secrets', 'tls', 'ca.pem')}) + ACLs, registry basic auth, Redis ACL users, ClickHouse passwords\n  secrets    ${join(stack.layout.stateDir, 'secrets')}/<service>.env (load one with: set -a; . <file>; set +a)\n`);
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
