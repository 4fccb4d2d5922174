/**
 * The fleet simulator process.
 *   npx tsx services/edge/simulator/main.ts provision   plan the fleet and provision it through the gateway
 *   npx tsx services/edge/simulator/main.ts run         run this process's shard (FLEET_SHARD=i/n)
 * Configuration: services/edge/simulator/fleet-config.ts (FLEET_SITES, FLEET_SEED, GATEWAY_URLS, SIM_* ...).
 * When forked, it reports its stats to the parent over IPC every second.
 */
import { createAvroCodec, createRegistryClient } from '../../platform/avro-codec.ts';
import { clockFor } from '../../platform/clock.ts';
import { describeError } from '../../platform/errors.ts';
import { createKafkaAdapter } from '../../platform/kafka.ts';
import { createLogger } from '../../platform/logger.ts';
import { openTopicWriter, type TopicWriter } from '../../platform/topic-writer.ts';
import { parseFleetConfig } from './fleet-config.ts';
import { runFleetShard } from './fleet-runner.ts';
import { fleetAssetDefinitions, planFleet } from './provision-plan.ts';
import { loadCredentials, provisionFleet, saveCredentials } from './provision.ts';

const config = parseFleetConfig(process.env);
const logger = createLogger(config.platform.logLevel, { service: 'fleet', shard: `${config.shard.index}/${config.shard.count}` });
const clock = clockFor(config.platform.sim);
const plan = planFleet({ seed: config.seed, sites: config.sites });
const command = process.argv[2] ?? 'run';

const main = async (): Promise<void> => {
  if (command === 'provision') {
    const credentials = await provisionFleet({ gatewayUrl: config.gatewayUrls[0] ?? '', operatorToken: config.operatorToken, assets: fleetAssetDefinitions(plan, clock.now()) });
    saveCredentials(config.credentialsFile, credentials);
    process.stdout.write(`provisioned ${Object.keys(credentials).length} devices; credentials in ${config.credentialsFile}\n`);
    return;
  }
  const credentials = loadCredentials(config.credentialsFile);
  if (!credentials) throw new Error(`no credentials at ${config.credentialsFile}: run 'npx tsx services/edge/simulator/main.ts provision' first`);
  let writer: TopicWriter | undefined;
  const kafka = createKafkaAdapter({ brokers: config.platform.kafkaBrokers, security: config.platform.kafkaSecurity, clientId: `gridfleet-fleet-${config.shard.index}`, logger });
  const codec = createAvroCodec({ registry: createRegistryClient(config.platform.registryUrl, config.platform.registryAuth) });
  if (config.publishWorld) writer = await openTopicWriter({ kafka, codec, lanes: 1 });
  const shard = runFleetShard({ config, plan, credentials, clock, logger, ...(writer ? { world: { writer } } : {}) });
  const report = setInterval(() => {
    const s = shard.stats();
    if (process.send) process.send({ type: 'stats', stats: s });
    else logger.info('fleet', { ...s });
  }, 1_000);
  const stop = (): void => {
    clearInterval(report);
    void shard.stop().then(async () => {
      if (process.send) process.send({ type: 'stats', stats: shard.stats() });
      await writer?.close();
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
};

main().catch((e: unknown) => {
  process.stderr.write(`fleet: ${describeError(e)}\n`);
  process.exit(1);
});
