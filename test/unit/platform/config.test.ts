import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../services/platform/config.ts';
import { isPlatformError } from '../../../services/platform/errors.ts';

describe('parseConfig', () => {
  it('gives the documented defaults on an empty environment, frozen', () => {
    const c = parseConfig({});
    expect(c.ports).toEqual({ kafka: 9092, kafkaController: 9093, registry: 8081, clickhouse: 8123, redis: 6379 });
    expect(c.kafkaBrokers).toEqual(['127.0.0.1:9092']);
    expect(c.registryUrl).toBe('http://127.0.0.1:8081');
    expect(c.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('derives client URLs from moved ports', () => {
    const c = parseConfig({ KAFKA_PORT: '19092', REGISTRY_PORT: '18081' });
    expect(c.kafkaBrokers).toEqual(['127.0.0.1:19092']);
    expect(c.registryUrl).toBe('http://127.0.0.1:18081');
  });

  it('lists every problem at once', () => {
    try {
      parseConfig({ KAFKA_PORT: 'abc', REDIS_PORT: '70000', LOG_LEVEL: 'loud', KAFKA_BROKERS: 'nohost', REGISTRY_PORT: '8123' });
      expect.unreachable('parseConfig accepted a bad environment');
    } catch (e) {
      expect(isPlatformError(e, 'CONFIG_INVALID')).toBe(true);
      const msg = (e as Error).message;
      for (const part of ['KAFKA_PORT=abc', 'REDIS_PORT=70000', 'LOG_LEVEL=loud', 'nohost', 'registry and clickhouse are both 8123']) {
        expect(msg).toContain(part);
      }
    }
  });
});
