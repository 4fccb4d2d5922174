import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../services/platform/config.ts';
import { kafkaParts } from '../../../../services/embedded/stack/kafka-part.ts';
import { stackLayout } from '../../../../services/embedded/stack/layout.ts';
import { partPorts, portTakenMessage } from '../../../../services/embedded/stack/stack.ts';

describe('ports a part needs free before it starts', () => {
  it("checks Kafka's controller port as well as its client port", () => {
    // Regression: only the main port was probed, so a taken 9093 killed Kafka at start with only a log tail.
    const config = parseConfig({ KAFKA_PORT: '19092', KAFKA_CONTROLLER_PORT: '19093' });
    const [single] = kafkaParts(config, stackLayout('.state/unit-ports'));
    if (single === undefined) throw new Error('no Kafka part');
    const ports = partPorts(single);
    expect(ports.map((p) => [p.port, p.variable])).toEqual([[19092, 'KAFKA_PORT'], [19093, 'KAFKA_CONTROLLER_PORT']]);
  });

  it('says which port, which part and listener, and the variable that moves it', () => {
    const msg = portTakenMessage('kafka', { port: 9093, variable: 'KAFKA_CONTROLLER_PORT', role: 'KRaft controller listener' });
    expect(msg).toMatch(/^port 9093 for kafka \(KRaft controller listener\) is taken/);
    expect(msg).toContain("ss -ltnp 'sport = :9093'");
    expect(msg).toContain('KAFKA_CONTROLLER_PORT=19093 npm run stack -- up');
    expect(portTakenMessage('redis', { port: 6379, variable: 'REDIS_PORT', role: '' })).toMatch(/^port 6379 for redis is taken.*REDIS_PORT=16379 npm/);
    // The suggested port must itself be a valid port.
    expect(portTakenMessage('redis', { port: 60000, variable: 'REDIS_PORT', role: '' })).toContain('REDIS_PORT=50000 npm');
  });
});
