/**
 * Guards the duplicate a rebalance between ingest processes used to cause: a partition moving to
 * another process while the old one is still inserting a batch cut early by time. Process A's
 * third insert is held back for 9 s after its plan was recorded (stall-insert), so its session
 * expires and B takes its partitions while the insert is still on its way; then a third member C
 * joins and B is SIGKILLed mid-stream. Every cut is by time (windows of 100,000 offsets, 150 ms
 * wait), records keep arriving throughout, and the table and rollups must reconcile exactly.
 * The negative control runs the same stall without recorded plans and must find duplicates: the
 * scenario does reach the window the plans close.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TopicNames } from '../../../../services/platform/topics.ts';
import { countOf, createWorld, eventually, produceTelemetry, startIngest, telemetryProblems, type IngestProcess, type IngestWorld } from './ingest-harness.ts';

const worlds: IngestWorld[] = [];
const processes: IngestProcess[] = [];
afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => p.stop()));
  await Promise.all(worlds.splice(0).map((w) => w.close()));
});

const ENV = { INGEST_TOPICS: TopicNames.telemetry, INGEST_BATCH_RECORDS: '100000', INGEST_MAX_WAIT_MS: '150', INGEST_CONCURRENCY: '4' };
const STALL = 'stall-insert:3:9000';

const start = (w: IngestWorld, env: Record<string, string> = {}): IngestProcess => {
  const p = startIngest(w, { ...ENV, ...env });
  processes.push(p);
  return p;
};

/** Produces [from, to) in slices of `slice` every `everyMs`, until done or `stop` says so. */
const trickle = async (w: IngestWorld, from: number, to: number, slice: number, everyMs: number): Promise<void> => {
  for (let i = from; i < to; i += slice) {
    await produceTelemetry(w, i, Math.min(to, i + slice));
    await new Promise((r) => setTimeout(r, everyMs));
  }
};

const rows = (w: IngestWorld): Promise<number> => countOf(w.ch, `SELECT count() FROM ${w.database}.telemetry`);

/** The range of the stalled insert, from A's log: [partition, first, last]. */
const stalledRange = (a: IngestProcess): [number, number, number] | null => {
  const m = /"msg":"fault: stalling the insert".*?"token":"[^"]*:(\d+):(\d+)-(\d+)"/.exec(a.output());
  return m === null ? null : [Number(m[1]), Number(m[2]), Number(m[3])];
};

describe('ingest across rebalances between processes', () => {
  it('lands every record once when a stalled time-cut insert lands after its partition moved, a member joins and one is killed', async () => {
    const FRAMES = 24_000;
    const w = await createWorld('rebal');
    worlds.push(w);
    await produceTelemetry(w, 0, 2_000);
    const a = start(w, { INGEST_FAULT: STALL });
    expect(await eventually(() => Promise.resolve(stalledRange(a) !== null), 30_000), a.output()).toBe(true);
    const produced = trickle(w, 2_000, FRAMES, 800, 250);
    const b = start(w);
    // A's insert is still held back when its session expires and B is given its partitions.
    expect(await eventually(() => Promise.resolve(/rebuilding the batch recorded/.test(b.output())), 20_000), b.output()).toBe(true);
    const [partition, first, last] = stalledRange(a) ?? [-1, -1, -1];
    expect(b.output()).toContain(`"partition":${partition},"first":${first},"last":${last}`);
    // A's held-back insert lands after B owns the partition; its commit is refused.
    expect(await eventually(() => Promise.resolve(/offset commit refused after the insert/.test(a.output())), 20_000), a.output()).toBe(true);

    const c = start(w);
    expect(await eventually(() => Promise.resolve(/partitions assigned/.test(c.output())), 30_000), c.output()).toBe(true);
    b.child.kill('SIGKILL');
    expect(await b.exited).toBe('SIGKILL');
    await produced;

    expect(await eventually(async () => (await rows(w)) >= FRAMES, 60_000), `${a.output()}\n${c.output()}`).toBe(true);
    // Let a late duplicate show up before reconciling: both survivors idle, nothing buffered.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await a.stop()).toBe('0');
    expect(await c.stop()).toBe('0');
    expect(await telemetryProblems(w)).toEqual([]);
    expect(await countOf(w.ch, `SELECT sum(frames) FROM ${w.database}.site_minute`)).toBe(FRAMES);
    expect(await countOf(w.ch, `SELECT sum(frames) FROM ${w.database}.site_hourly`)).toBe(FRAMES);
    expect(await countOf(w.ch, `SELECT uniqExact(device_id, seq) FROM ${w.database}.telemetry`)).toBe(FRAMES);
  });

  it('negative control: without recorded plans the same stall lands rows twice, and the reconciliation says so', async () => {
    const FRAMES = 8_000;
    const w = await createWorld('rebal-neg');
    worlds.push(w);
    await produceTelemetry(w, 0, 2_000);
    // Frame dedup off too: it would drop some of the copies (those whose first insert landed before the lookup), by timing.
    const a = start(w, { INGEST_FAULT: STALL, INGEST_RECORD_PLANS: '0', INGEST_FRAME_DEDUP: '0' });
    expect(await eventually(() => Promise.resolve(stalledRange(a) !== null), 30_000), a.output()).toBe(true);
    const produced = trickle(w, 2_000, FRAMES, 800, 250);
    const b = start(w, { INGEST_RECORD_PLANS: '0', INGEST_FRAME_DEDUP: '0' });
    await produced;
    expect(await eventually(() => Promise.resolve(/offset commit refused after the insert/.test(a.output())), 30_000), a.output()).toBe(true);
    expect(await eventually(async () => (await rows(w)) > FRAMES, 30_000), b.output()).toBe(true);
    const problems = (await telemetryProblems(w)).join('\n');
    expect(problems).toMatch(/\(duplicates\)/);
    expect(problems).toMatch(/identities appear more than once/);
  });
});
