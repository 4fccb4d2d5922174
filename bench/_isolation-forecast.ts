/**
 * The forecast tier's faults for the isolation harness. Until services/forecast has a process to
 * run (its workers and scheduler), the burst is published the way a forecast run's publish step
 * does it (a bundle for every site to fleet.forecasts.v1 through the platform Kafka adapter), and
 * Redis, the forecast tier's queue store, is restarted on its own.
 */
import { sleep, forecastBurstDirect, type Fault } from './_isolation-faults.ts';

/** Redis (BullMQ's store: analytics only) stopped and started again mid-phase. */
export const redisRestarted: Fault = {
  name: 'redis-restarted', analytics: true, what: 'Redis (the forecast queues\' store) stopped (SIGTERM) and started again',
  async run(ctx, phaseMs) {
    const t0 = Date.now();
    await sleep(phaseMs / 4);
    await ctx.sys.bench.stack.down(['redis']);
    ctx.mark('redis down');
    await sleep(phaseMs / 4);
    await ctx.sys.bench.stack.up(['redis']);
    ctx.mark('redis up');
    await sleep(phaseMs - (Date.now() - t0));
  },
};

export const forecastFaults = (): Fault[] => [redisRestarted, forecastBurstDirect];
