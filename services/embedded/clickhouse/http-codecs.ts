/**
 * The HTTP body encodings a ClickHouse server accepts and answers with (`Content-Encoding`,
 * `Accept-Encoding`): gzip, deflate (zlib format), br, zstd, lz4 (LZ4 frame), xz, bz2 and snappy.
 *
 * Node's zlib streams gzip, deflate and br; lzma-native (liblzma, prebuilt inside the package)
 * streams xz. zstd is in zlib only from Node 22.15, and the others are not there at all, so they
 * come from maintained native (napi) packages that ship prebuilt binaries in the npm registry:
 * @mongodb-js/zstd 1.x (7.x downloads its binary at install), lz4-napi, snappy; bz2 from the
 * pure-JS seek-bzip (decode) and compressjs (encode), the only options without a download at
 * install time. The zstd, lz4, bz2 and snappy packages work on whole buffers, so:
 * - request bodies in them are read whole (bounded by the caller's limit) and decoded once;
 * - lz4 responses stream (LZ4 frames of independent blocks, made here from lz4-napi's block
 *   codec, because a client reading one frame must get the whole result in it);
 * - zstd, bz2 and snappy responses are compressed whole at the end, so they are offered to a
 *   client only when it accepts none of the streaming ones.
 * snappy follows ClickHouse: requests in Hadoop's snappy framing (raw snappy also read), responses
 * raw snappy.
 */
import { createRequire } from 'node:module';
import { Transform, type TransformCallback } from 'node:stream';
import { constants, createBrotliCompress, createBrotliDecompress, createDeflate, createGunzip, createGzip, createInflate } from 'node:zlib';
import * as zstd from '@mongodb-js/zstd';
import * as lz4 from 'lz4-napi';
import * as snappy from 'snappy';

export const HTTP_ENCODINGS = ['gzip', 'deflate', 'br', 'zstd', 'lz4', 'xz', 'bz2', 'snappy'] as const;
export type HttpEncoding = (typeof HTTP_ENCODINGS)[number];

const require = createRequire(import.meta.url);
const seekBzip = require('seek-bzip') as { decode(input: Buffer): Buffer };
const compressjs = require('compressjs') as { Bzip2: { compressFile(input: Buffer): number[] | Uint8Array } };
const lzma = require('lzma-native') as { createCompressor(o: { preset: number; threads?: number }): Transform; createDecompressor(): Transform };

/** The request encoding named by a Content-Encoding value, `identity` for none, undefined if unknown. */
export const requestEncoding = (header: string | undefined): HttpEncoding | 'identity' | undefined => {
  const v = (header ?? '').trim().toLowerCase();
  if (v === '' || v === 'identity') return 'identity';
  if (v === 'x-gzip') return 'gzip';
  if (v === 'zstd' || v === 'zst') return 'zstd';
  if (v === 'bzip2') return 'bz2';
  if (v === 'lzma') return 'xz';
  return (HTTP_ENCODINGS as readonly string[]).includes(v) ? (v as HttpEncoding) : undefined;
};

/** Streaming encodings first (lz4 is the cheapest to produce), then the whole-buffer ones. */
const RESPONSE_PREFERENCE: readonly HttpEncoding[] = ['lz4', 'gzip', 'br', 'deflate', 'xz', 'zstd', 'bz2', 'snappy'];

/** The response encoding for an Accept-Encoding value; undefined means identity. */
export const pickResponseEncoding = (acceptEncoding: string | undefined): HttpEncoding | undefined => {
  if (acceptEncoding === undefined) return undefined;
  const offered = new Set<string>();
  for (const part of acceptEncoding.split(',')) {
    const [name = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (params.some((p) => /^q=0(\.0*)?$/.test(p))) continue;
    const e = requestEncoding(name);
    if (e !== undefined && e !== 'identity') offered.add(e);
  }
  return RESPONSE_PREFERENCE.find((e) => offered.has(e));
};

/** A Transform that gathers its whole input (up to `limit` bytes) and emits `finish(all)`. */
const whole = (finish: (all: Buffer) => Promise<Buffer> | Buffer, limit: number, tooLarge: () => Error): Transform => {
  const parts: Buffer[] = [];
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      size += chunk.length;
      if (size > limit) return cb(tooLarge());
      parts.push(chunk);
      cb();
    },
    flush(cb: TransformCallback) {
      Promise.resolve()
        .then(() => finish(Buffer.concat(parts, size)))
        .then((out) => {
          parts.length = 0;
          // Emitted in slices so a consumer's per-chunk work stays bounded.
          for (let o = 0; o < out.length; o += 1 << 20) this.push(out.subarray(o, o + (1 << 20)));
          cb();
        }, (e: unknown) => cb(e instanceof Error ? e : new Error(String(e))));
    },
  });
};

const u32be = (b: Buffer, o: number): number => b.readUInt32BE(o);

/** Hadoop's snappy framing: [u32 BE raw length][u32 BE compressed length][snappy block]... */
const hadoopSnappy = (all: Buffer): Buffer | undefined => {
  const out: Buffer[] = [];
  let o = 0;
  while (o < all.length) {
    if (o + 8 > all.length) return undefined;
    const raw = u32be(all, o);
    o += 4;
    let got = 0;
    while (got < raw) {
      if (o + 4 > all.length) return undefined;
      const len = u32be(all, o);
      o += 4;
      if (o + len > all.length) return undefined;
      const piece = snappy.uncompressSync(all.subarray(o, o + len)) as Buffer;
      out.push(piece);
      got += piece.length;
      o += len;
    }
    if (got !== raw) return undefined;
  }
  return Buffer.concat(out);
};

const decodeWhole = async (enc: HttpEncoding, all: Buffer): Promise<Buffer> => {
  switch (enc) {
    case 'zstd': return zstd.decompress(all);
    case 'lz4': return lz4.decompressFrame(all);
    case 'bz2': return seekBzip.decode(all);
    case 'snappy': return hadoopSnappy(all) ?? (snappy.uncompressSync(all) as Buffer);
    default: throw new Error(`${enc} is a streaming encoding`);
  }
};

/**
 * A decoder for a request body. Truncated or corrupt input fails the stream (zlib's "unexpected
 * end of file", a frame decoder's error): the caller's insert then never ends its envelope.
 */
export const requestDecoder = (enc: HttpEncoding, limit: number, tooLarge: () => Error): Transform => {
  switch (enc) {
    case 'gzip': return createGunzip();
    case 'deflate': return createInflate();
    case 'br': return createBrotliDecompress();
    case 'xz': return lzma.createDecompressor();
    default: return whole((all) => decodeWhole(enc, all), limit, tooLarge);
  }
};

const LZ4_BLOCK = 64 * 1024;
/** LZ4 frame header: magic, FLG 0x60 (version 1, independent blocks, no checksums), BD 0x40 (64 KB blocks), header checksum. */
const LZ4_FRAME_HEADER = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82]);

/** One LZ4 frame, streamed: 64 KB blocks compressed independently; a block that does not shrink is stored. */
const lz4FrameEncoder = (): Transform => {
  let started = false;
  let pending: Buffer = Buffer.alloc(0);
  const blocks = (self: Transform, data: Buffer): void => {
    for (let o = 0; o < data.length; o += LZ4_BLOCK) {
      const piece = data.subarray(o, o + LZ4_BLOCK);
      const c = lz4.compressSync(piece).subarray(4); // lz4-napi prepends the raw size
      const size = Buffer.allocUnsafe(4);
      if (c.length < piece.length) {
        size.writeUInt32LE(c.length, 0);
        self.push(size);
        self.push(c);
      } else {
        size.writeUInt32LE((piece.length | 0x80000000) >>> 0, 0);
        self.push(size);
        self.push(piece);
      }
    }
  };
  return new Transform({
    transform(chunk: Buffer, _e, cb: TransformCallback) {
      if (!started) {
        this.push(LZ4_FRAME_HEADER);
        started = true;
      }
      const data = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
      const full = data.length - (data.length % LZ4_BLOCK);
      blocks(this, data.subarray(0, full));
      pending = Buffer.from(data.subarray(full));
      cb();
    },
    flush(cb: TransformCallback) {
      if (!started) this.push(LZ4_FRAME_HEADER);
      blocks(this, pending);
      this.push(Buffer.alloc(4)); // end mark
      cb();
    },
  });
};

const encodeWhole = async (enc: HttpEncoding, all: Buffer): Promise<Buffer> => {
  switch (enc) {
    case 'zstd': return zstd.compress(all, 3);
    case 'bz2': return Buffer.from(compressjs.Bzip2.compressFile(all));
    case 'snappy': return snappy.compress(all);
    default: throw new Error(`${enc} is a streaming encoding`);
  }
};

/** ClickHouse's http_zlib_compression_level default. */
const ZLIB_LEVEL = 3;

/** An encoder for a response body. */
export const responseEncoder = (enc: HttpEncoding): Transform => {
  switch (enc) {
    case 'gzip': return createGzip({ level: ZLIB_LEVEL });
    case 'deflate': return createDeflate({ level: ZLIB_LEVEL });
    case 'br': return createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: ZLIB_LEVEL } });
    case 'lz4': return lz4FrameEncoder();
    case 'xz': return lzma.createCompressor({ preset: 1 });
    default: return whole((all) => encodeWhole(enc, all), Number.MAX_SAFE_INTEGER, () => new Error('unreachable'));
  }
};
