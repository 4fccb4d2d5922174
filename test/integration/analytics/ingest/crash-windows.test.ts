/**
 * Guards exactly-once across crashes: the ingest process is SIGKILLed at the third insert, before
 * it, halfway through its body, and after ClickHouse acknowledged it but before the offset commit;
 * a fresh process then finishes the job and the table reconciles with Kafka (no record lost, none
 * twice), rollups included. In the after-insert window the batch's plan (committed before its
 * insert) makes the fresh process rebuild the same batch, and its insert_deduplication_token keeps
 * it from landing twice, for batches cut by their window and early by time alike.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TopicNames } from '../../../../services/platform/topics.ts';
import { countOf, createWorld, eventually, produceTelemetry, producedByPartition, startIngest, telemetryProblems, type IngestWorld, committedTelemetry } from './ingest-harness.ts';

const FRAMES = 8_000;
const worlds: IngestWorld[] = [];
afterEach(async () => {
  await Promise.all(worlds.splice(0).map((w) => w.close()));
});


const crashThenRecover = async (name: string, fault: string, extraEnv: Record<string, string> = {}): Promise<{ w: IngestWorld; rowsAtCrash: number; committedAtCrash: number }> => {
  const w = await createWorld(name);
  worlds.push(w);
  await produceTelemetry(w, 0, FRAMES);
  // Small aligned windows and a wait long enough that every batch but a partition's tail is cut by its window, so a replay makes the same batch.
  const env = { INGEST_BATCH_RECORDS: '500', INGEST_MAX_WAIT_MS: '3000', INGEST_CONCURRENCY: '1', ...extraEnv };
  const crashing = startIngest(w, { ...env, INGEST_FAULT: fault });
  expect(await crashing.exited, crashing.output()).toBe('SIGKILL');
  const rowsAtCrash = await countOf(w.ch, `SELECT count() FROM ${w.database}.telemetry`);
  const committedAtCrash = await committedTelemetry(w);

  const again = startIngest(w, env);
  try {
    const done = await eventually(async () => (await countOf(w.ch, `SELECT count() FROM ${w.database}.telemetry`)) >= FRAMES, 60_000);
    expect(done, again.output()).toBe(true);
    // Give a duplicate the chance to show up before reconciling.
    await eventually(async () => (await committedTelemetry(w)) >= FRAMES, 20_000);
  } finally {
    expect(await again.stop()).toBe('0');
  }
  expect(await telemetryProblems(w)).toEqual([]);
  const rollupFrames = await countOf(w.ch, `SELECT sum(frames) FROM ${w.database}.site_minute`);
  expect(rollupFrames).toBe(FRAMES);
  expect(await countOf(w.ch, `SELECT sum(frames) FROM ${w.database}.site_hourly`)).toBe(FRAMES);
  expect([...(await producedByPartition(w, TopicNames.telemetry)).values()].reduce((a, b) => a + b, 0)).toBe(FRAMES);
  return { w, rowsAtCrash, committedAtCrash };
};

describe('ingest crash windows (SIGKILL, restart, reconcile)', () => {
  it('killed before the third insert', async () => {
    const { rowsAtCrash } = await crashThenRecover('crash-before', 'before-insert:3');
    expect(rowsAtCrash).toBe(1_000);
  });

  it('killed halfway through the third insert body', async () => {
    const { rowsAtCrash } = await crashThenRecover('crash-mid', 'mid-insert:3');
    // A half-sent body never becomes rows: the server spools the whole body before inserting.
    expect(rowsAtCrash).toBe(1_000);
  });

  it('killed after the third insert was acknowledged, before its commit (the plan rebuilds it, the token drops it)', async () => {
    const { rowsAtCrash, committedAtCrash } = await crashThenRecover('crash-after', 'after-insert:3');
    expect(rowsAtCrash).toBe(1_500);
    expect(committedAtCrash).toBe(1_000);
  });

  it('killed after the insert, before its commit, with early (age) cuts', async () => {
    const { rowsAtCrash, committedAtCrash } = await crashThenRecover('crash-after-age', 'after-insert:3', { INGEST_MAX_WAIT_MS: '50', INGEST_BATCH_RECORDS: '100000' });
    expect(rowsAtCrash).toBeGreaterThan(committedAtCrash);
  });
});
