import { describe, expect, it } from 'vitest';
import { backoffMs, backboneProblem } from '../../../services/platform/startup-retry.ts';

describe('startup retry', () => {
  it('backs off exponentially, capped, with bounded jitter', () => {
    expect([0, 1, 2, 3, 10].map((n) => backoffMs(n, 250, 5_000, () => 0.5))).toEqual([250, 500, 1_000, 2_000, 5_000]);
    expect(backoffMs(0, 250, 5_000, () => 0)).toBe(200);
    expect(backoffMs(40, 250, 5_000, () => 1)).toBe(6_000);
  });

  it('names what it waits for when no broker accepts connections', async () => {
    // Port 1 on loopback: nothing listens there.
    expect(await backboneProblem({ brokers: ['127.0.0.1:1'] }, 500)).toMatch(/^waiting for Kafka: no broker of 127.0.0.1:1/);
  });
});
