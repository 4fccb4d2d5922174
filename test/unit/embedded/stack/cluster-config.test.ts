import { describe, expect, it } from 'vitest';
import { kafkaNodes, parseConfig } from '../../../../services/platform/config.ts';
import { brokerProperties, kafkaParts } from '../../../../services/embedded/stack/kafka-part.ts';
import { stackLayout } from '../../../../services/embedded/stack/layout.ts';

const settings = (props: string): Map<string, string> =>
  new Map(props.split('\n').filter((l) => l.includes('=') && !l.startsWith('#')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

describe('the three-broker cluster mode', () => {
  it('lists every node in KAFKA_BROKERS and replicates three times with two in sync', () => {
    const c = parseConfig({ KAFKA_BROKER_COUNT: '3', KAFKA_PORT: '19092', KAFKA_CONTROLLER_PORT: '19093' });
    expect(c.kafkaBrokers).toEqual(['127.0.0.1:19092', '127.0.0.1:19094', '127.0.0.1:19096']);
    expect(c.kafkaReplicationFactor).toBe(3);
    // The single broker stays the default.
    expect(parseConfig({}).kafkaBrokerCount).toBe(1);
    expect(parseConfig({}).kafkaReplicationFactor).toBe(1);
  });

  it('refuses a node port that lands on another part or controller', () => {
    // KAFKA_CONTROLLER_PORT=9094 is node 2's client port when nodes are two apart.
    expect(() => parseConfig({ KAFKA_BROKER_COUNT: '3', KAFKA_CONTROLLER_PORT: '9094' })).toThrow(/node 2's port 9094/);
    expect(() => parseConfig({ KAFKA_BROKER_COUNT: '3', REGISTRY_PORT: '9096' })).toThrow(/node 3's port 9096/);
    expect(() => parseConfig({ KAFKA_CONTROLLER_PORT: '9094' })).not.toThrow();
  });

  it('makes every node a voter of one quorum, on its own ports and data, with internal topics replicated', () => {
    const voters = kafkaNodes({ kafka: 19092, kafkaController: 19093 }, 3);
    const node2 = settings(brokerProperties({ dataDir: '/d/kafka-2', port: 19094, controllerPort: 19095, nodeId: 2, voters }));
    expect(node2.get('node.id')).toBe('2');
    expect(node2.get('controller.quorum.voters')).toBe('1@127.0.0.1:19093,2@127.0.0.1:19095,3@127.0.0.1:19097');
    expect(node2.get('listeners')).toBe('PLAINTEXT://127.0.0.1:19094,CONTROLLER://127.0.0.1:19095');
    expect(node2.get('log.dirs')).toBe('/d/kafka-2/logs');
    for (const k of ['offsets.topic.replication.factor', 'transaction.state.log.replication.factor', 'default.replication.factor']) expect(node2.get(k), k).toBe('3');
    expect(node2.get('min.insync.replicas')).toBe('2');
    expect(node2.get('transaction.state.log.min.isr')).toBe('2');
    // The single broker's file has none of the cluster keys (infra/docker-compose.yml mirrors it key for key).
    const single = settings(brokerProperties({ dataDir: '/d', port: 1, controllerPort: 2 }));
    expect(single.has('default.replication.factor')).toBe(false);
    expect(single.get('offsets.topic.replication.factor')).toBe('1');
  });

  it('runs one stack process per node, kept apart from the single broker', () => {
    const config = parseConfig({ KAFKA_BROKER_COUNT: '3', KAFKA_PORT: '19092', KAFKA_CONTROLLER_PORT: '19093' });
    const layout = stackLayout('.state/unit-cluster');
    const parts = kafkaParts(config, layout);
    expect(parts.map((p) => [p.name, p.port, p.extraPorts?.[0]?.port])).toEqual([['kafka-1', 19092, 19093], ['kafka-2', 19094, 19095], ['kafka-3', 19096, 19097]]);
    expect(layout.dataDir('kafka-1')).not.toBe(layout.dataDir('kafka'));
    expect(kafkaParts(parseConfig({}), layout).map((p) => p.name)).toEqual(['kafka']);
  });
});
