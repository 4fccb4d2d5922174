/**
 * Guards exactly-once ingest as seen in ClickHouse: every telemetry record produced lands once
 * (rows per partition = records per partition, no (device, seq) twice), an undecodable record is
 * dead-lettered with its origin and its partition keeps moving, and /metrics reports lag, rows and
 * insert latency. The negative controls prove the reconciliation catches a planted duplicate and a
 * deleted row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TopicNames } from '../../../../services/platform/topics.ts';
import { readTableCounts, reconcile } from '../../../../services/analytics/ingest/reconcile.ts';
import { countOf, createWorld, eventually, lagOf, produceTelemetry, producedByPartition, startIngest, TELEMETRY_PARTITIONS, telemetryProblems, type IngestWorld } from './ingest-harness.ts';

const FRAMES = 20_000;

describe('ingest reconciliation', () => {
  let w: IngestWorld;
  beforeAll(async () => {
    w = await createWorld('recon');
  });
  afterAll(async () => {
    await w.close();
  });

  it('lands every record once, dead-letters the undecodable one, and serves metrics', async () => {
    await produceTelemetry(w, 0, FRAMES / 2);
    const producer = await w.kafka.producer();
    await producer.send(w.topic(TopicNames.telemetry), [{ key: 'site-bad', value: Buffer.from('{"not":"avro"}'), partition: 0 }]);
    await producer.disconnect();
    await produceTelemetry(w, FRAMES / 2, FRAMES);

    const ingest = startIngest(w);
    try {
      const landed = await eventually(async () => (await countOf(w.ch, `SELECT count() FROM ${w.database}.telemetry`)) >= FRAMES, 60_000);
      expect(landed, ingest.output()).toBe(true);
      const deadLettered = await eventually(async () => (await countOf(w.ch, `SELECT count() FROM ${w.database}.dead_letters`)) >= 1, 20_000);
      expect(deadLettered, ingest.output()).toBe(true);

      const dl = await (await w.ch.query({ query: `SELECT origin_topic, origin_partition, origin_offset, error_code, reason FROM ${w.database}.dead_letters`, format: 'JSONEachRow' }))
        .json<{ origin_topic: string; origin_partition: number; origin_offset: string; error_code: string; reason: string }>();
      expect(dl).toHaveLength(1);
      expect(dl[0]).toMatchObject({ origin_topic: w.topic(TopicNames.telemetry), origin_partition: 0, error_code: 'UNDECODABLE' });
      expect(dl[0]?.reason).toMatch(/magic byte/);

      const expected = await producedByPartition(w, TopicNames.telemetry);
      expected.set(0, (expected.get(0) ?? 0) - 1);
      expect(reconcile(expected, await readTableCounts(w.ch, `${w.database}.telemetry`, 'device_id, seq'))).toEqual([]);

      const port = /"metricsPort":(\d+)/.exec(ingest.output())?.[1];
      const metricsText = async (): Promise<string> => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      // Lag is read from Kafka on a timer (committed offsets trail the insert): every partition reaches 0.
      const caughtUp = await eventually(async () => {
        const lag = lagOf(await metricsText(), w.topic(TopicNames.telemetry));
        return lag.size === TELEMETRY_PARTITIONS && [...lag.values()].every((n) => n === 0);
      }, 10_000);
      expect(caughtUp, await metricsText()).toBe(true);
      const text = await metricsText();
      expect(text).toMatch(/gridfleet_ingest_rows_total\{table="telemetry"\} 20000/);
      expect(text).toMatch(/gridfleet_ingest_insert_seconds_count\{table="telemetry"\} [1-9]/);
      expect(text).toMatch(/gridfleet_ingest_dead_letters_total\{topic="[^"]+telemetry\.v1"\} 1/);
    } finally {
      expect(await ingest.stop()).toBe('0');
    }
    // The (device, seq) check in the other direction: every produced pair is there.
    expect(await countOf(w.ch, `SELECT uniqExact(device_id, seq) FROM ${w.database}.telemetry`)).toBe(FRAMES);
  });

  it('negative control: a planted duplicate and a deleted row both fail the reconciliation', async () => {
    const expected = await producedByPartition(w, TopicNames.telemetry);
    expected.set(0, (expected.get(0) ?? 0) - 1);
    const table = `${w.database}.telemetry`;
    expect(reconcile(expected, await readTableCounts(w.ch, table, 'device_id, seq'))).toEqual([]);

    await w.ch.command({ query: `INSERT INTO ${table} SELECT * FROM ${table} WHERE kafka_partition = 1 LIMIT 1` });
    const planted = reconcile(expected, await readTableCounts(w.ch, table, 'device_id, seq'));
    expect(planted.join('\n')).toMatch(/partition 1: .* \(duplicates\)/);
    expect(planted.join('\n')).toMatch(/1 identities appear more than once/);

    await w.ch.command({ query: `ALTER TABLE ${table} DELETE WHERE kafka_partition = 2 AND kafka_offset = 5`, clickhouse_settings: { mutations_sync: '1' } });
    const deleted = reconcile(expected, await readTableCounts(w.ch, table, 'device_id, seq'));
    expect(deleted.join('\n')).toMatch(/partition 2: .* \(missing\)/);
  });

  it('uses the telemetry helper as the tests after this do', async () => {
    expect((await telemetryProblems(w)).length).toBeGreaterThan(0);
  });
});
