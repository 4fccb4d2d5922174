/**
 * The registry's log in Kafka: the compacted single-partition topic `_schemas`, as Confluent's
 * registry keeps it. One partition keeps the log totally ordered; compaction keeps the newest
 * record per key, which is all a replay needs.
 *
 * The one producer that does not go through the typed topic writer: `_schemas` is the registry's
 * own JSON log, not a catalog topic, and the writer's Avro encoding needs this registry to run.
 */
import type { KafkaAdapter, Producer } from '../../platform/kafka.ts';
import type { SchemaLogRecord, SchemaLogStore } from './schema-store.ts';

export const SCHEMAS_TOPIC = '_schemas';

/** replicationFactor follows the cluster (config.kafkaReplicationFactor): a registry whose log sat on one node of three would stop with that node. */
export const createKafkaSchemaStore = async (kafka: KafkaAdapter, topic = SCHEMAS_TOPIC, replicationFactor = 1): Promise<SchemaLogStore & { close(): Promise<void> }> => {
  const admin = await kafka.admin();
  try {
    await admin.ensureTopics([
      { name: topic, key: 'registry key', description: 'schema registry log', partitions: 1, replicationFactor, configs: { 'cleanup.policy': 'compact', 'min.insync.replicas': String(Math.max(1, replicationFactor - 1)) } },
    ]);
  } finally {
    await admin.disconnect();
  }
  let producer: Producer | undefined;
  return {
    async load() {
      const records = await kafka.readAll(topic);
      return records
        .filter((r) => r.key !== null)
        .map((r): SchemaLogRecord => ({ key: r.key ?? '', value: r.value === null ? null : r.value.toString('utf8') }));
    },
    async append(record) {
      producer ??= await kafka.producer();
      await producer.send(topic, [{ key: record.key, value: record.value === null ? null : Buffer.from(record.value, 'utf8'), partition: 0 }]);
    },
    async close() {
      await producer?.disconnect();
    },
  };
};
