/**
 * Wiring of the provider pollers (`npm run forecast -- providers`): its own Kafka producer, the
 * adapters of FORECAST_PROVIDERS, one poll per source every FORECAST_PROVIDER_EVERY_MIN real
 * minutes, each fetch published to provider.forecasts.v1 keyed by sourceId. A process of its own
 * so that a provider that hangs or misbehaves affects nothing but its own records.
 */
import { createAvroCodec, createRegistryClient } from '../../../platform/avro-codec.ts';
import type { Config } from '../../../platform/config.ts';
import type { ProviderForecast } from '../../../platform/events.ts';
import { createKafkaAdapter } from '../../../platform/kafka.ts';
import type { Logger } from '../../../platform/logger.ts';
import { TopicNames } from '../../../platform/topics.ts';
import type { ProviderConfig } from './provider-config.ts';
import { fetchJsonWith, startPollers } from './provider-poller.ts';
import { openTopicWriter } from '../../../platform/topic-writer.ts';

export const startProviderService = async (opts: { config: Config; pcfg: ProviderConfig; topicPrefix: string; logger: Logger }): Promise<{ stop(): Promise<void> }> => {
  const { config, pcfg, logger } = opts;
  const kafka = createKafkaAdapter({ brokers: config.kafkaBrokers, security: config.kafkaSecurity, clientId: 'gridfleet-forecast-providers', logger });
  const codec = createAvroCodec({ registry: createRegistryClient(config.registryUrl, config.registryAuth) });
  const writer = await openTopicWriter({ kafka, codec, lanes: 1 });
  const topic = opts.topicPrefix + TopicNames.providerForecasts;
  const publish = async (records: readonly ProviderForecast[]): Promise<void> => {
    await writer.publish(TopicNames.providerForecasts, records.map((r) => ({ key: r.sourceId, value: r })), { to: topic });
  };
  const pollers = startPollers(pcfg.adapters, pcfg.everyMin * 60_000, {
    fetchJson: fetchJsonWith(pcfg.timeoutMs), publish, now: Date.now, logger,
    onOutcome: (source, outcome) => logger.info('provider poll', { source, outcome }),
  });
  return {
    async stop() {
      await pollers.stop();
      await writer.close();
    },
  };
};
