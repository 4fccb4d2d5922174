import { Queue, QueueEvents, Worker } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { testStack } from '../../support/clients.ts';
import { freshName, testConfig } from '../../support/stack-env.ts';

const connection = { host: '127.0.0.1', port: testConfig().ports.redis, maxRetriesPerRequest: null };

describe('BullMQ on the embedded Redis', () => {
  it('adds and processes a job', async () => {
    const name = freshName('q');
    const queue = new Queue(name, { connection });
    const events = new QueueEvents(name, { connection });
    const worker = new Worker(name, (job) => Promise.resolve({ doubled: (job.data as { n: number }).n * 2 }), { connection });
    try {
      await events.waitUntilReady();
      const job = await queue.add('double', { n: 21 });
      expect(await job.waitUntilFinished(events, 20_000)).toEqual({ doubled: 42 });
    } finally {
      await worker.close();
      await events.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it('keeps a queued job across a Redis restart (append-only file, noeviction)', async () => {
    const name = freshName('q-durable');
    const queue = new Queue(name, { connection });
    const job = await queue.add('later', { payload: 'survives' }, { jobId: 'job-1' });
    await queue.close();

    const stack = testStack();
    expect(await stack.down(['redis'])).toEqual(['redis']);
    expect((await stack.status()).find((s) => s.name === 'redis')?.state).toBe('down');
    await stack.up(['redis']);

    const processed: unknown[] = [];
    const workerErrors: string[] = [];
    const queue2 = new Queue(name, { connection });
    const worker = new Worker(name, (j) => {
      processed.push(j.data);
      return Promise.resolve('done');
    }, { connection });
    worker.on('error', (e) => workerErrors.push(e.message));
    try {
      const again = await queue2.getJob(job.id ?? 'job-1');
      expect(again?.data).toEqual({ payload: 'survives' });
      // Poll the job's state rather than wait on QueueEvents: the stream reader is a second moving
      // part after a restart, and what this test is about is that the job itself survived.
      const deadline = Date.now() + 60_000;
      let state = await queue2.getJobState('job-1');
      while (state !== 'completed' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        state = await queue2.getJobState('job-1');
      }
      expect({ state, workerErrors }).toEqual({ state: 'completed', workerErrors: [] });
      expect(processed).toEqual([{ payload: 'survives' }]);
    } finally {
      await worker.close();
      await queue2.obliterate({ force: true });
      await queue2.close();
    }
  });
});
