/**
 * Guards the retry-forever loop on an insert a retry cannot fix: with the telemetry table missing
 * (an unmigrated database), ingest must say so loudly (/healthz 503 naming the table, the rejected
 * gauge, failures of kind "rejected"), keep that topic paused and try it only every
 * INGEST_REJECTED_RETRY_MS instead of hammering ClickHouse, and heal on its own once the table
 * exists, landing every record once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TopicNames } from '../../../../services/platform/topics.ts';
import { countOf, createWorld, eventually, produceTelemetry, startIngest, telemetryProblems, type IngestWorld } from './ingest-harness.ts';

const FRAMES = 6_000;

describe('ingest when ClickHouse rejects a table for good', () => {
  let w: IngestWorld;
  beforeAll(async () => {
    w = await createWorld('rejected');
  });
  afterAll(async () => {
    await w.close();
  });

  it('pauses the topic loudly, retries slowly, and heals when the table appears', async () => {
    const create = await (await w.ch.query({ query: `SHOW CREATE TABLE ${w.database}.telemetry`, format: 'JSONEachRow' })).json<{ statement: string }>();
    await w.ch.command({ query: `DROP TABLE ${w.database}.telemetry SYNC` });
    await produceTelemetry(w, 0, FRAMES);
    const ingest = startIngest(w, { INGEST_TOPICS: TopicNames.telemetry, INGEST_REJECTED_RETRY_MS: '2000' });
    try {
      expect(await eventually(() => Promise.resolve(/"metricsPort":(\d+)/.test(ingest.output())), 20_000)).toBe(true);
      const url = `http://127.0.0.1:${/"metricsPort":(\d+)/.exec(ingest.output())?.[1]}`;
      expect(await eventually(async () => /rejected: ClickHouse refuses inserts into telemetry/.test(await (await fetch(`${url}/healthz`)).text()), 20_000), ingest.output()).toBe(true);
      expect((await fetch(`${url}/healthz`)).status).toBe(503);
      expect(ingest.output()).toMatch(/"level":"error","msg":"ClickHouse rejects inserts into this table.*UNKNOWN_TABLE/);
      const failures = async (): Promise<number> => Number(/gridfleet_ingest_insert_failures_total\{table="telemetry",kind="rejected"\} (\d+)/.exec(await (await fetch(`${url}/metrics`)).text())?.[1] ?? 0);
      const before = await failures();
      expect(before).toBeGreaterThan(0);
      expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/gridfleet_ingest_table_rejected\{table="telemetry"\} 1/);
      await new Promise((r) => setTimeout(r, 6_000));
      // Slow retries: a round every 2 s over at most 4 partitions, not a hot loop.
      expect((await failures()) - before).toBeLessThanOrEqual(16);
      expect(await countOf(w.ch, `SELECT count() FROM ${w.database}.site_minute`)).toBe(0);

      await w.ch.command({ query: create[0]?.statement ?? '' });
      expect(await eventually(async () => (await countOf(w.ch, `SELECT count() FROM ${w.database}.telemetry`)) >= FRAMES, 30_000), ingest.output()).toBe(true);
      expect(await eventually(async () => (await fetch(`${url}/healthz`)).status === 200, 10_000)).toBe(true);
      expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/gridfleet_ingest_table_rejected\{table="telemetry"\} 0/);
    } finally {
      expect(await ingest.stop()).toBe('0');
    }
    expect(await telemetryProblems(w)).toEqual([]);
  });
});
