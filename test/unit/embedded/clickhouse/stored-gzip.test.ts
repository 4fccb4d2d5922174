import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { storedGzip } from '../../../../services/embedded/clickhouse/stored-gzip.ts';

const envelope = (chunks: readonly Buffer[], end: boolean): Buffer => {
  const env = storedGzip();
  const parts = [env.header, ...chunks.flatMap((c) => env.frame(c))];
  if (end) parts.push(env.end());
  return Buffer.concat(parts);
};

describe('stored-gzip envelope', () => {
  it('round-trips any payload through a standard gunzip, in any chunking', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 150_000 }), { maxLength: 5 }), (arrays) => {
        const chunks = arrays.map((a) => Buffer.from(a));
        expect(gunzipSync(envelope(chunks, true)).equals(Buffer.concat(chunks))).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it('is refused by a standard gunzip when it was not ended (the property the engine relies on)', () => {
    const body = Buffer.from('{"a":1}\n'.repeat(20_000));
    expect(() => gunzipSync(envelope([body], false))).toThrow(/unexpected end of file/);
    const whole = envelope([body], true);
    expect(() => gunzipSync(whole.subarray(0, whole.length - 1))).toThrow();
  });
});
