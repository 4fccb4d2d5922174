/**
 * Where each site is, for the map: followed from asset.registry.v1 (the operational registry, as
 * control and the gateway follow it), since the assets read API does not carry locations. Never
 * waited for: until it has caught up the map shows the sites it knows and counts the rest.
 */
import { createAvroCodec, createRegistryClient } from '../platform/avro-codec.ts';
import type { Config } from '../platform/config.ts';
import { createKafkaAdapter } from '../platform/kafka.ts';
import type { Logger } from '../platform/logger.ts';
import { follow, type Feed } from '../platform/topic-feed.ts';
import { TopicNames } from '../platform/topics.ts';
import type { SiteLocation } from './fleet-view.ts';

export interface SiteLocations {
  readonly locations: ReadonlyMap<string, SiteLocation>;
  stop(): Promise<void>;
}

export const followSiteLocations = async (platform: Config, logger: Logger, instanceId: string): Promise<SiteLocations> => {
  const locations = new Map<string, SiteLocation>();
  const kafka = createKafkaAdapter({ brokers: platform.kafkaBrokers, security: platform.kafkaSecurity, clientId: `gridfleet-console-${instanceId}`, logger });
  const codec = createAvroCodec({ registry: createRegistryClient(platform.registryUrl, platform.registryAuth) });
  const feed: Feed = await follow({
    kafka, codec, logger, topic: TopicNames.assetRegistry, groupPrefix: `gridfleet-console-${instanceId}`,
    onRecord: (key, def) => {
      if (key === null) return;
      if (def === null || def.deleted || def.kind !== 'SITE' || def.latitudeDeg === null || def.longitudeDeg === null) locations.delete(key);
      else locations.set(key, { latitudeDeg: def.latitudeDeg, longitudeDeg: def.longitudeDeg });
    },
  });
  return { locations, stop: () => feed.stop() };
};
