import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { brokerProperties } from '../../../../services/embedded/stack/kafka-part.ts';
import { redisConf } from '../../../../services/embedded/stack/redis-part.ts';
import { childEnv } from '../../../../services/embedded/stack/node-parts.ts';
import { stackLayout } from '../../../../services/embedded/stack/layout.ts';
import { parseConfig } from '../../../../services/platform/config.ts';

describe('embedded stack config files', () => {
  it('runs Kafka as one KRaft broker+controller on the configured ports with data in the state folder', () => {
    const props = brokerProperties({ dataDir: '/data/kafka', port: 19092, controllerPort: 19093 });
    expect(props).toContain('process.roles=broker,controller');
    expect(props).toContain('listeners=PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
    expect(props).toContain('log.dirs=/data/kafka/logs');
    // Topics come from the catalog only: a typo in a topic name must fail, not create a topic.
    expect(props).toContain('auto.create.topics.enable=false');
  });

  it('keeps the Docker Compose broker on the settings of the embedded one, with data on its volume', () => {
    const compose = readFileSync('infra/docker-compose.yml', 'utf8');
    // Regression: without KAFKA_LOG_DIRS the apache/kafka image writes to /tmp/kraft-combined-logs.
    expect(compose).toMatch(/^\s+KAFKA_LOG_DIRS: \/var\/lib\/kafka\/data$/m);
    expect(compose).toContain('kafka-data:/var/lib/kafka/data');
    // Listener, node and path settings differ by design (container network); the rest must match.
    const differs = /^(process\.roles|node\.id|controller\.|listeners|advertised\.|inter\.broker|listener\.|log\.dirs)/;
    const settings = brokerProperties({ dataDir: '/d', port: 1, controllerPort: 2 })
      .split('\n')
      .filter((l) => l.includes('=') && !l.startsWith('#'))
      .map((l) => l.split('=') as [string, string])
      .filter(([k]) => !differs.test(k));
    expect(settings.length).toBeGreaterThan(8);
    for (const [key, value] of settings) {
      const envName = `KAFKA_${key.replace(/\./g, '_').toUpperCase()}`;
      expect(compose, `${envName} (${key}=${value})`).toMatch(new RegExp(`^\\s+${envName}: "?${value}"?$`, 'm'));
    }
  });

  it('gives Redis an append-only file and noeviction, which BullMQ needs to lose nothing', () => {
    const conf = redisConf({ dataDir: '/data/redis', port: 16379 });
    expect(conf).toMatch(/^appendonly yes$/m);
    expect(conf).toMatch(/^maxmemory-policy noeviction$/m);
    expect(conf).toMatch(/^port 16379$/m);
    expect(conf).toMatch(/^bind 127\.0\.0\.1$/m);
  });

  it('hands child services the same ports and folders as the stack', () => {
    const config = parseConfig({ REGISTRY_PORT: '18081', KAFKA_PORT: '19092', GRIDFLEET_STATE_DIR: '.state/x' });
    const env = childEnv(config, stackLayout(config.stateDir, config.cacheDir));
    const again = parseConfig(env);
    expect(again.ports).toEqual(config.ports);
    expect(again.kafkaBrokers).toEqual(config.kafkaBrokers);
    expect(again.stateDir.endsWith('.state/x')).toBe(true);
  });
});
