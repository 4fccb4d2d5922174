import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { redisConnection, upsertSchedulers } from '../../../../services/analytics/forecast/forecast-service.ts';
import { QueueNames } from '../../../../services/analytics/forecast/jobs.ts';
import { chunkIdOf } from '../../../../services/analytics/forecast/run-kinds.ts';
import { testStack } from '../../../support/clients.ts';
import { testConfig } from '../../../support/stack-env.ts';
import { createWorld, HOUR, START_MS, type ForecastWorld } from './forecast-harness.ts';

const ISSUED = START_MS + 2 * 24 * HOUR + 9 * HOUR;

/** Every (site, issue time) must have been published with one content only. */
const contentsPerIssue = (bundles: Awaited<ReturnType<ForecastWorld['bundles']>>): Map<string, Set<string>> => {
  const m = new Map<string, Set<string>>();
  for (const b of bundles) {
    const k = `${b.key}@${b.bundle.issuedAtMs}`;
    m.set(k, (m.get(k) ?? new Set()).add(b.bytes.toString('hex')));
  }
  return m;
};

describe('forecast runs are idempotent per (kind, issued-at, chunk)', () => {
  let world: ForecastWorld | undefined;
  afterEach(async () => {
    await world?.dispose();
    world = undefined;
  });

  it('a chunk run twice publishes identical bytes; a poison chunk fails once, without retries, and is reported', async () => {
    world = await createWorld({ sites: 20, env: { FORECAST_CHUNK_DELAY_MS: '1200' } });
    const w = world;
    const chunks = new Queue(QueueNames.chunks, { connection: redisConnection(testConfig().redisUrl), prefix: w.fcfg.queuePrefix });
    try {
      const runId = await w.service.runNow('sites', ISSUED);
      expect(await w.waitForRun(runId)).toMatchObject({ state: 'completed', chunksDone: 2, itemsDone: 20 });
      // The same chunk again, as a duplicate job: same snapshot, same bytes.
      const dup = await chunks.add('chunk', { runId, kind: 'sites', issuedAtMs: ISSUED, chunk: 0 }, { jobId: `${chunkIdOf(runId, 0)}-again` });
      const deadline = Date.now() + 30_000;
      while ((await dup.getState()) !== 'completed' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await dup.getState()).toBe('completed');
      const bundles = await w.bundles();
      expect(bundles).toHaveLength(30); // 20 sites + chunk 0's 10 again
      for (const [, contents] of contentsPerIssue(bundles)) expect(contents.size).toBe(1);
      expect((await w.service.store.getRun(runId))?.itemsDone).toBe(20); // counted once

      // Poison: chunk 1's snapshot is corrupted after the run fanned out, before the chunk ran.
      const poisonRun = await w.service.runNow('sites', ISSUED + HOUR);
      await w.waitForRun(poisonRun, 30_000, (r) => r?.state === 'fanned-out');
      await w.service.store.writeChunk(poisonRun, 1, Buffer.from('not a snapshot'));
      const r = await w.waitForRun(poisonRun);
      expect(r).toMatchObject({ state: 'partial', chunks: 2, chunksDone: 1, chunksFailed: 1, itemsDone: 10 });
      expect(r?.error).toMatch(/poison chunk .*-c1: site snapshot: bad header/);
      const job = await chunks.getJob(chunkIdOf(poisonRun, 1));
      expect({ attemptsMade: job?.attemptsMade, state: await job?.getState() }).toEqual({ attemptsMade: 1, state: 'failed' });
      // The run's state is in Redis before its outcome row is in ClickHouse (jobs.ts finishes, then records): wait for the row.
      const outcomeRows = async (): Promise<unknown[]> =>
        (await w.client.query({ query: `SELECT outcome, chunks_failed FROM ${w.db}.forecast_runs FINAL WHERE run_id = {id:String}`, query_params: { id: poisonRun }, format: 'JSONEachRow' })).json();
      let rows = await outcomeRows();
      for (const until = Date.now() + 15_000; rows.length === 0 && Date.now() < until; rows = await outcomeRows()) await new Promise((r) => setTimeout(r, 200));
      expect(rows).toEqual([{ outcome: 'partial', chunks_failed: 1 }]);
    } finally {
      await chunks.close();
    }
  });

  it('Redis restarted mid-run: schedulers come back exactly once, the run completes, no bundle is published twice with different content', async () => {
    world = await createWorld({ sites: 40, env: { FORECAST_CHUNK_SITES: '2', FORECAST_CHUNK_DELAY_MS: '300' } });
    const w = world;
    await w.service.stop();
    const svc = await w.start({ schedule: true });
    const runId = await svc.runNow('sites', ISSUED);
    const mid = await w.waitForRun(runId, 30_000, (r) => (r?.chunksDone ?? 0) >= 3);
    expect(mid?.chunksDone).toBeLessThan(20);

    const stack = testStack();
    await stack.down(['redis']);
    await stack.up(['redis']);

    const r = await w.waitForRun(runId, 90_000);
    expect(r).toMatchObject({ state: 'completed', chunks: 20, chunksDone: 20, chunksFailed: 0, items: 40, itemsDone: 40 });
    const schedulerIds = async (): Promise<string[]> => (await svc.runs.getJobSchedulers()).map((s) => s.key).sort();
    expect(await schedulerIds()).toEqual(['forecast-emissions', 'forecast-sites', 'forecast-weather']);
    await upsertSchedulers(svc.runs, w.fcfg, null); // a scheduler process restarting
    expect(await schedulerIds()).toEqual(['forecast-emissions', 'forecast-sites', 'forecast-weather']);

    const bundles = await w.bundles();
    const ofRun = bundles.filter((b) => b.bundle.runId === runId);
    expect(new Set(ofRun.map((b) => b.key)).size).toBe(40);
    for (const [, contents] of contentsPerIssue(bundles)) expect(contents.size).toBe(1);
  });
});
