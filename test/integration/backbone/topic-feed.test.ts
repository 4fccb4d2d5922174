/**
 * A service's feed (services/platform/topic-feed.ts) across a broker restart long enough for its
 * consumer to crash and be restarted: it comes back by itself, goes on where it was instead of
 * reading the topic again from the beginning, and misses nothing produced while the broker was
 * down. The gateway's command feed is one of these, so this is the control path.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createAvroCodec, createRegistryClient } from '../../../services/platform/avro-codec.ts';
import type { CustomerChoices } from '../../../services/platform/events.ts';
import { createLogger } from '../../../services/platform/logger.ts';
import { TopicNames } from '../../../services/platform/topics.ts';
import { follow, type Feed } from '../../../services/platform/topic-feed.ts';
import { testKafka, testStack } from '../../support/clients.ts';
import { freshName, testConfig } from '../../support/stack-env.ts';

const topic = TopicNames.controlChoices;
const codec = createAvroCodec({ registry: createRegistryClient(testConfig().registryUrl) });
const kafka = testKafka('gridfleet-test-feed');

const choices = (siteId: string): CustomerChoices => ({ siteId, reservePct: 20, optedOutEventIds: [], updatedAtMs: Date.now(), updatedBy: 'customer:test' });

const produce = async (keys: readonly string[]): Promise<void> => {
  const producer = await kafka.producer();
  try {
    const messages = await Promise.all(keys.map(async (k) => ({ key: k, value: await codec.encode(topic, choices(k)) })));
    // The broker may still be electing leaders right after its restart: the adapter's sends fail
    // rather than wait for ever, so retry the way a service does.
    for (let attempt = 1; ; attempt++) {
      try {
        await producer.send(topic, messages);
        return;
      } catch (e) {
        if (attempt >= 20) throw e;
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  } finally {
    await producer.disconnect();
  }
};

const waitFor = async (what: string, check: () => boolean, timeoutMs: number): Promise<void> => {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
};

describe('a service feed across a broker restart', () => {
  let feed: Feed | undefined;
  afterAll(async () => feed?.stop());

  it('comes back by itself, does not read the topic again, and misses nothing produced while the broker was down', async () => {
    const prefix = freshName('feed');
    const before = Array.from({ length: 40 }, (_, i) => `${prefix}-a${i}`);
    const during = Array.from({ length: 20 }, (_, i) => `${prefix}-b${i}`);
    await produce(before);

    const seen = new Map<string, number>();
    const errors: string[] = [];
    const logger = createLogger('error', {}, (line) => errors.push(line));
    feed = await follow({
      kafka, codec, topic, groupPrefix: 'feed-test', logger,
      onRecord: (key) => {
        if (key?.startsWith(prefix) === true) seen.set(key, (seen.get(key) ?? 0) + 1);
      },
    });
    await feed.caughtUp;
    expect([...seen.keys()].sort()).toEqual([...before].sort());

    // Down for longer than a consumer's retries last (about 40 s with the adapter's defaults,
    // 8 s with the feed's): kafkajs crashes the consumer and starts a new one, which joins its
    // group afresh with no committed offsets. The feed before the fix read everything again here.
    const stack = testStack();
    await stack.down(['registry', 'kafka']);
    await new Promise((r) => setTimeout(r, 40_000));
    await stack.up(['kafka', 'registry']);
    await produce(during);

    await waitFor('the records produced after the restart', () => during.every((k) => seen.has(k)), 90_000);
    // A feed that read the topic again from the beginning would have applied these twice.
    const twice = [...seen].filter(([, n]) => n !== 1).map(([k]) => k);
    expect(twice).toEqual([]);
    expect(seen.size).toBe(before.length + during.length);
  }, 180_000);
});
