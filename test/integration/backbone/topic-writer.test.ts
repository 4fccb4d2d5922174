// Guards the typed writer and the pipelined producer under it: with several requests in flight
// (lanes) and many concurrent publishes, every record lands once, records of one partition keep
// publish order, the offsets a publish reports are where its records are, and a batch with one
// invalid value sends nothing. The producer used to chain every send of a process on one promise
// (one request in flight, whatever the topic): order held, throughput did not.
import { afterAll, describe, expect, it } from 'vitest';
import { createAvroCodec, createRegistryClient } from '../../../services/platform/avro-codec.ts';
import { isPlatformError } from '../../../services/platform/errors.ts';
import type { Telemetry } from '../../../services/platform/events.ts';
import type { IncomingRecord } from '../../../services/platform/kafka.ts';
import { openTopicWriter } from '../../../services/platform/topic-writer.ts';
import { TopicNames } from '../../../services/platform/topics.ts';
import { testKafka } from '../../support/clients.ts';
import { freshName, testConfig } from '../../support/stack-env.ts';

const kafka = testKafka();
const codec = createAvroCodec({ registry: createRegistryClient(testConfig().registryUrl) });
const frame = (site: number, seq: number): Telemetry => ({
  deviceId: `dev-${site}`, siteId: `site-${site}`, seq, measuredAtMs: 1_700_000_000_000 + seq, receivedAtMs: 1_700_000_000_000 + seq, socPct: 50,
  batteryKw: 0, solarKw: 1, loadKw: 1, gridKw: 0, batteryTempC: 20, mode: 'IDLE', alarms: [], activeCommandId: null,
});

const readAll = async (topic: string, n: number): Promise<IncomingRecord[]> => {
  const records = await kafka.readAll(topic, { timeoutMs: 30_000 });
  expect(records.length).toBe(n);
  return records;
};

describe('typed topic writer', () => {
  const admin = kafka.admin();
  afterAll(async () => (await admin).disconnect());

  it('keeps per-partition order across lanes and concurrent publishes, reports true offsets, refuses a bad batch whole', async () => {
    const topic = freshName('writer');
    await (await admin).ensureTopics([{ name: topic, key: 'siteId', description: 'test', partitions: 6, replicationFactor: 1, configs: {} }]);
    const writer = await openTopicWriter({ kafka, codec, lanes: 3 });
    const sites = 20;
    const rounds = 50;
    // 50 publishes in flight at once, each with one record per site, seq = round.
    const receipts = await Promise.all(Array.from({ length: rounds }, (_, round) =>
      writer.publish(TopicNames.telemetry, Array.from({ length: sites }, (_, s) => ({ key: `site-${s}`, value: frame(s, round) })), { to: topic })));
    const single = await writer.publish(TopicNames.telemetry, [{ key: 'site-x', value: frame(99, 7), partition: 4 }], { to: topic });

    let caught: unknown;
    try {
      await writer.publish(TopicNames.telemetry, [{ key: 'site-1', value: frame(1, 1000) }, { key: 'site-2', value: { ...frame(2, 1000), mode: 'FLYING' as never } }], { to: topic });
    } catch (e) {
      caught = e;
    }
    expect(isPlatformError(caught, 'CODEC_FAILED')).toBe(true);
    await writer.close();

    const records = await readAll(topic, sites * rounds + 1);
    const bySite = new Map<string, number[]>();
    for (const r of records.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)))) {
      const d = await codec.decode(TopicNames.telemetry, r.value ?? Buffer.alloc(0));
      if (!d.ok) throw new Error(d.error);
      bySite.set(r.key ?? '', [...(bySite.get(r.key ?? '') ?? []), d.value.seq]);
    }
    for (let s = 0; s < sites; s++) expect(bySite.get(`site-${s}`)).toEqual(Array.from({ length: rounds }, (_, i) => i));
    expect(receipts.every((r) => r.length > 0)).toBe(true);
    expect(single).toHaveLength(1);
    const x = records.find((r) => r.key === 'site-x');
    expect({ partition: x?.partition, offset: x?.offset }).toEqual({ partition: single[0]?.partition, offset: single[0]?.baseOffset });
    // The first publish's first record in each partition is where its receipt says.
    for (const p of receipts[0] ?? []) {
      const at = records.find((r) => r.partition === p.partition && r.offset === p.baseOffset);
      expect(at).toBeDefined();
    }
  });
});
