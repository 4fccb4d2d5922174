/**
 * `npm run forecasts -- tail [--site ID] [--from-beginning]`: prints forecast bundles from
 * fleet.forecasts.v1 as they arrive, one line each. It is an ordinary Kafka consumer (its own
 * throwaway group, no commits), the way any operations tool reads the narrow topic.
 */
import { helpRequested } from '../../platform/cli-help.ts';
import { randomUUID } from 'node:crypto';
import { createAvroCodec, createRegistryClient } from '../../platform/avro-codec.ts';
import { parseConfig } from '../../platform/config.ts';
import { describeError } from '../../platform/errors.ts';
import type { ForecastBundle } from '../../platform/events.ts';
import { createKafkaAdapter } from '../../platform/kafka.ts';
import { createLogger } from '../../platform/logger.ts';
import { TopicNames } from '../../platform/topics.ts';
import { parseArgs } from './cli-args.ts';
import { parseForecastConfig } from './forecast-config.ts';

const iso = (ms: number): string => new Date(ms).toISOString().slice(0, 16) + 'Z';
const range = (a: readonly number[]): string => (a.length === 0 ? '-' : `${Math.min(...a).toFixed(1)}..${Math.max(...a).toFixed(1)}`);

/** One line per bundle: what an operator wants to see at a glance. */
export const formatBundle = (b: ForecastBundle, bytes: number): string =>
  `${b.siteId} issued ${iso(b.issuedAtMs)} run ${b.runId} from ${iso(b.validFromMs)} ${b.solarKw.length}x${b.stepMinutes}min` +
  ` solar ${range(b.solarKw)} kW load ${range(b.loadKw)} kW carbon ${range(b.carbonGPerKwh)} g/kWh temp ${range(b.temperatureC)} C` +
  `${b.stormWatch ? ` STORM ${b.stormWatch.severity} ${iso(b.stormWatch.startsAtMs)}-${iso(b.stormWatch.endsAtMs)}` : ''} ${b.modelVersion} ${bytes} B`;

const main = async (argv: readonly string[]): Promise<number> => {
  const { command, flags } = parseArgs(argv);
  const usage = 'usage: npm run forecasts -- tail [--site ID] [--from-beginning]\n  Follows fleet.forecasts.v1 and prints one line per bundle (all sites, or one).\n';
  if (helpRequested(argv)) {
    process.stdout.write(usage);
    return 0;
  }
  if (command !== 'tail') {
    process.stderr.write(usage);
    return 2;
  }
  const config = parseConfig(process.env);
  const fcfg = parseForecastConfig(process.env);
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, { service: 'forecasts-tail' });
  const kafka = createKafkaAdapter({ brokers: config.kafkaBrokers, security: config.kafkaSecurity, clientId: 'gridfleet-forecasts-tail', logger });
  const codec = createAvroCodec({ registry: createRegistryClient(config.registryUrl, config.registryAuth) });
  const topic = fcfg.topicPrefix + TopicNames.fleetForecasts;
  const site = flags.get('site');
  const consumer = await kafka.consumer({ groupId: `gridfleet-forecasts-tail-${randomUUID().slice(0, 8)}`, topics: [topic], fromBeginning: flags.get('from-beginning') === 'true', autoCommit: false });
  process.stderr.write(`tailing ${topic}${site ? ` for ${site}` : ''} (Ctrl-C to stop)\n`);
  void consumer.runEach(async (r) => {
    if (r.value === null || (site !== undefined && r.key !== site)) return;
    const d = await codec.decode(TopicNames.fleetForecasts, r.value);
    process.stdout.write((d.ok ? formatBundle(d.value, r.value.length) : `undecodable record at ${r.partition}/${r.offset}: ${d.error}`) + '\n');
  }).catch((e: unknown) => logger.error('tail stopped', { error: describeError(e) }));
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await consumer.disconnect();
  return 0;
};

main(process.argv.slice(2)).then((code) => process.exit(code), (e: unknown) => {
  process.stderr.write(`forecasts: ${describeError(e)}\n`);
  process.exit(1);
});
