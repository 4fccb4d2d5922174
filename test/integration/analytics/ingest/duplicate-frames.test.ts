/**
 * One row per frame: a frame the gateway wrote twice (its Kafka write failed ambiguously, the
 * device resent it) is one row in ClickHouse, whether the copy sits in the same batch, in a later
 * batch, or reaches a fresh ingest process that has not seen the first. Without
 * telemetry-dedup.ts every copy below is a second row (the isolation harness's broker restart
 * showed 16 of them).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TopicNames } from '../../../../services/platform/topics.ts';
import { countOf, createWorld, eventually, produceTelemetry, producedByPartition, startIngest, type IngestWorld, committedTelemetry } from './ingest-harness.ts';

const worlds: IngestWorld[] = [];
afterEach(async () => {
  await Promise.all(worlds.splice(0).map((w) => w.close()));
});

const produced = async (w: IngestWorld): Promise<number> => [...(await producedByPartition(w, TopicNames.telemetry)).values()].reduce((a, b) => a + b, 0);
const rowsAndFrames = async (w: IngestWorld): Promise<{ rows: number; frames: number }> => ({
  rows: await countOf(w.ch, `SELECT count() FROM ${w.database}.telemetry`),
  frames: await countOf(w.ch, `SELECT uniqExact(device_id, seq) FROM ${w.database}.telemetry`),
});

/** Runs ingest until it committed everything produced, then stops it. */
const ingestAll = async (w: IngestWorld): Promise<string> => {
  const p = startIngest(w, { INGEST_BATCH_RECORDS: '500', INGEST_MAX_WAIT_MS: '300' });
  try {
    const total = await produced(w);
    expect(await eventually(async () => (await committedTelemetry(w)) >= total, 60_000), p.output()).toBe(true);
  } finally {
    expect(await p.stop()).toBe('0');
  }
  return p.output();
};

describe('frames written to Kafka twice', () => {
  it('are one row each: copies in the batch, in later batches, and after a restart', async () => {
    const w = await createWorld('dup-frames');
    worlds.push(w);
    const base = Date.now() - 3_600_000;
    await produceTelemetry(w, 0, 2_000, base);
    // Resends of earlier frames, at later offsets (later batches), and copies right after each other.
    await produceTelemetry(w, 100, 160, base);
    await produceTelemetry(w, 1_990, 2_000, base);
    await produceTelemetry(w, 1_990, 2_000, base);
    await ingestAll(w);
    expect(await rowsAndFrames(w)).toEqual({ rows: 2_000, frames: 2_000 });

    // A fresh process (nothing remembered) meets copies of frames inserted by the first, next to new frames.
    await produceTelemetry(w, 0, 50, base);
    await produceTelemetry(w, 2_000, 2_100, base);
    await produceTelemetry(w, 1_500, 1_520, base);
    const log = await ingestAll(w);
    expect(await rowsAndFrames(w), log.slice(-2000)).toEqual({ rows: 2_100, frames: 2_100 });
    // The rollups count each frame once too.
    expect(await countOf(w.ch, `SELECT sum(frames) FROM ${w.database}.site_minute`)).toBe(2_100);
  }, 180_000);
});
