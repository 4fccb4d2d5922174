import { describe, expect, it } from 'vitest';
import { chunkProgress } from '../../../bench/_isolation-forecast.ts';

describe('chunkProgress (when the isolation harness kills a forecast run mid-run)', () => {
  it('reads the last progress line of a run log', () => {
    const log = [
      'sites-1  2026-11-25T15:22Z reading    chunks 0/0 items 0/0',
      'sites-1  2026-11-25T15:22Z fanned-out chunks 0/8 items 0/10000',
      'sites-1  2026-11-25T15:22Z fanned-out chunks 3/8 items 3750/10000 fallbacks 3750',
    ].join('\n');
    expect(chunkProgress(log)).toEqual({ done: 3, total: 8 });
  });

  it('knows nothing before the first progress line', () => {
    expect(chunkProgress('')).toBeUndefined();
    expect(chunkProgress('starting workers\n')).toBeUndefined();
  });

  it('sees a completed run as all chunks done', () => {
    const p = chunkProgress('x fanned-out chunks 7/8 items 8750/10000\nx completed  chunks 8/8 items 10000/10000\n');
    expect(p).toEqual({ done: 8, total: 8 });
  });
});
