/**
 * Guards ingest through a ClickHouse outage under load: while ClickHouse is stopped, ingest pauses
 * (health 503, paused gauge 1) with bounded memory instead of buffering the stream, its lag gauge
 * shows the backlog growing (it used to keep the last value a handled batch left), then it resumes
 * when ClickHouse is back and the table reconciles with Kafka: nothing lost, nothing twice.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testStack } from '../../../support/clients.ts';
import { TopicNames } from '../../../../services/platform/topics.ts';
import { countOf, createWorld, eventually, lagOf, produceTelemetry, startIngest, TELEMETRY_PARTITIONS, telemetryProblems, type IngestWorld } from './ingest-harness.ts';

const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

describe('ingest while ClickHouse is stopped', () => {
  let w: IngestWorld;
  beforeAll(async () => {
    w = await createWorld('outage');
  });
  afterAll(async () => {
    await testStack().up(['clickhouse']);
    await w.close();
  });

  it('pauses with bounded memory, resumes and reconciles', async () => {
    const ingest = startIngest(w, { INGEST_RETRY_MAX_MS: '1000' });
    const metricsUrl = async (): Promise<string> => {
      await eventually(() => Promise.resolve(/"metricsPort":(\d+)/.test(ingest.output())), 20_000);
      return `http://127.0.0.1:${/"metricsPort":(\d+)/.exec(ingest.output())?.[1]}`;
    };
    try {
      await produceTelemetry(w, 0, 5_000);
      expect(await eventually(async () => (await countOf(w.ch, `SELECT count() FROM ${w.database}.telemetry`)) === 5_000, 40_000), ingest.output()).toBe(true);
      const url = await metricsUrl();

      await testStack().down(['clickhouse']);
      let rssMax = 0;
      for (let round = 1; round <= 6; round++) {
        await produceTelemetry(w, round * 5_000, (round + 1) * 5_000);
        rssMax = Math.max(rssMax, rssMb(ingest.child.pid ?? 0));
      }
      expect(await eventually(async () => (await fetch(`${url}/healthz`)).status === 503, 10_000)).toBe(true);
      expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/gridfleet_ingest_paused 1/);
      // 30,000 frames are waiting in Kafka, not in the ingest process.
      expect(rssMax).toBeLessThan(400);

      // ...and the lag gauge says so: nothing produced since ClickHouse stopped is committed, and
      // the backlog keeps growing while nothing is handled.
      const lagSum = async (): Promise<number> => {
        const lag = lagOf(await (await fetch(`${url}/metrics`)).text(), w.topic(TopicNames.telemetry));
        return lag.size === TELEMETRY_PARTITIONS ? [...lag.values()].reduce((a, b) => a + b, 0) : -1;
      };
      expect(await eventually(async () => (await lagSum()) >= 30_000, 10_000), `lag ${await lagSum()}`).toBe(true);
      const pausedLag = await lagSum();
      await produceTelemetry(w, 35_000, 40_000);
      expect(await eventually(async () => (await lagSum()) >= pausedLag + 5_000, 10_000), `lag ${await lagSum()}, was ${pausedLag}`).toBe(true);

      await testStack().up(['clickhouse']);
      expect(await eventually(async () => (await countOf(w.ch, `SELECT count() FROM ${w.database}.telemetry`)) >= 40_000, 60_000), ingest.output()).toBe(true);
      expect(await eventually(async () => (await fetch(`${url}/healthz`)).status === 200, 10_000)).toBe(true);
    } finally {
      expect(await ingest.stop()).toBe('0');
    }
    expect(await telemetryProblems(w)).toEqual([]);
    expect(await countOf(w.ch, `SELECT sum(frames) FROM ${w.database}.site_minute`)).toBe(40_000);
  });
});
