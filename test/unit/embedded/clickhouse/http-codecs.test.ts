import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { HTTP_ENCODINGS, pickResponseEncoding, requestDecoder, requestEncoding, responseEncoder, type HttpEncoding } from '../../../../services/embedded/clickhouse/http-codecs.ts';

const through = async (t: NodeJS.ReadWriteStream, input: readonly Buffer[]): Promise<Buffer> => {
  const out: Buffer[] = [];
  await pipeline(Readable.from(input), t, new Writable({
    write(c: Buffer, _e, cb) {
      out.push(c);
      cb();
    },
  }));
  return Buffer.concat(out);
};
const tooLarge = (): Error => new Error('too large');

describe('HTTP body encodings', () => {
  const payload = Buffer.from(Array.from({ length: 30_000 }, (_, i) => `{"id":${i},"v":"${'x'.repeat(i % 17)}"}\n`).join(''));
  const chunks = [payload.subarray(0, 1000), payload.subarray(1000, 200_000), payload.subarray(200_000)];

  it.each(HTTP_ENCODINGS)('%s: what the server answers with, it reads back, in several chunks', async (enc: HttpEncoding) => {
    const encoded = await through(responseEncoder(enc), chunks);
    expect(encoded.length).toBeLessThan(payload.length);
    const decoded = await through(requestDecoder(enc, 1 << 30, tooLarge), [encoded.subarray(0, 7), encoded.subarray(7)]);
    expect(decoded.equals(payload)).toBe(true);
  });

  it.each(HTTP_ENCODINGS)('%s: a truncated body fails to decode instead of ending early', async (enc: HttpEncoding) => {
    const encoded = await through(responseEncoder(enc), chunks);
    await expect(through(requestDecoder(enc, 1 << 30, tooLarge), [encoded.subarray(0, Math.floor(encoded.length / 2))])).rejects.toThrow();
  });

  it('refuses a compressed body over the limit', async () => {
    const encoded = await through(responseEncoder('zstd'), chunks);
    await expect(through(requestDecoder('zstd', 100, tooLarge), [encoded])).rejects.toThrow('too large');
  });

  it('names encodings as ClickHouse does and picks a streaming one when offered', () => {
    expect(requestEncoding(undefined)).toBe('identity');
    expect(requestEncoding('x-gzip')).toBe('gzip');
    expect(requestEncoding('LZ4')).toBe('lz4');
    expect(requestEncoding('compress')).toBeUndefined();
    expect(pickResponseEncoding('lz4, zstd, br, gzip')).toBe('lz4');
    expect(pickResponseEncoding('zstd, gzip')).toBe('gzip');
    expect(pickResponseEncoding('zstd')).toBe('zstd');
    expect(pickResponseEncoding('gzip;q=0, identity')).toBeUndefined();
    expect(pickResponseEncoding(undefined)).toBeUndefined();
  });
});
