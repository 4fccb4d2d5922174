/**
 * ClickHouse's own compressed-block framing, used over HTTP by `compress=1` (the response) and
 * `decompress=1` (the request body), as the JDBC driver and clickhouse-go do by default.
 *
 * Contract (ClickHouse CompressedReadBuffer/CompressedWriteBuffer): a sequence of blocks, each
 *   16 bytes  CityHash128 v1.0.2 of the rest of the block (low 64 bits, then high, little-endian)
 *   1 byte    method: 0x82 LZ4, 0x90 ZSTD, 0x02 none
 *   u32 LE    compressed size, counting these 9 header bytes
 *   u32 LE    decompressed size
 *   ...       the compressed data (for LZ4, a raw LZ4 block)
 * A block whose checksum does not match fails with CHECKSUM_DOESNT_MATCH, a body ending inside a
 * block with CANNOT_READ_ALL_DATA: either way the request's insert is never completed.
 */
import { Transform, type TransformCallback } from 'node:stream';
import * as zstd from '@mongodb-js/zstd';
import * as lz4 from 'lz4-napi';
import { cityHash128 } from './cityhash128.ts';

const METHOD = { lz4: 0x82, zstd: 0x90, none: 0x02 } as const;
const HEADER = 9;
const CHECKSUM = 16;
/** ClickHouse's default block for compressed writes (DBMS_DEFAULT_BUFFER_SIZE). */
const BLOCK = 1 << 20;
/** Refuse absurd declared sizes before allocating: ClickHouse's own limit is 1 GiB per block. */
const MAX_BLOCK = 1 << 30;

export class NativeBlockError extends Error {
  constructor(readonly codeName: 'CHECKSUM_DOESNT_MATCH' | 'CANNOT_READ_ALL_DATA' | 'UNKNOWN_COMPRESSION_METHOD' | 'CANNOT_DECOMPRESS', message: string) {
    super(message);
  }
}

const lz4Block = (data: Buffer, rawSize: number): Buffer => {
  // lz4-napi's block API carries the raw size in a 4-byte little-endian prefix.
  const framed = Buffer.allocUnsafe(4 + data.length);
  framed.writeUInt32LE(rawSize, 0);
  data.copy(framed, 4);
  return lz4.uncompressSync(framed);
};

/** Decodes a body of compressed blocks; `verify` false skips checksums (http_native_compression_disable_checksumming_on_decompress). */
export const nativeBlockDecoder = (verify: boolean): Transform => {
  let pending: Buffer = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _e, cb: TransformCallback) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      const work = async (): Promise<void> => {
        while (pending.length >= CHECKSUM + HEADER) {
          const size = pending.readUInt32LE(CHECKSUM + 1);
          const raw = pending.readUInt32LE(CHECKSUM + 5);
          if (size < HEADER || size > MAX_BLOCK || raw > MAX_BLOCK) throw new NativeBlockError('CANNOT_DECOMPRESS', `Compressed block of ${size} bytes (${raw} decompressed) is out of range`);
          if (pending.length < CHECKSUM + size) return;
          const body = pending.subarray(CHECKSUM, CHECKSUM + size);
          if (verify && !cityHash128(body).equals(pending.subarray(0, CHECKSUM))) {
            throw new NativeBlockError('CHECKSUM_DOESNT_MATCH', 'Checksum doesn\'t match: corrupted data in a compressed block of the request body');
          }
          const method = body[0];
          const data = body.subarray(HEADER);
          const out = method === METHOD.lz4 ? lz4Block(data, raw) : method === METHOD.zstd ? await zstd.decompress(data) : method === METHOD.none ? Buffer.from(data) : undefined;
          if (out === undefined) throw new NativeBlockError('UNKNOWN_COMPRESSION_METHOD', `Unknown compression method 0x${(method ?? 0).toString(16)} in a compressed block`);
          if (out.length !== raw) throw new NativeBlockError('CANNOT_READ_ALL_DATA', `A compressed block decoded to ${out.length} bytes, its header says ${raw}`);
          this.push(out);
          pending = pending.subarray(CHECKSUM + size);
        }
      };
      work().then(() => cb(), (e: unknown) => cb(e instanceof Error ? e : new Error(String(e))));
    },
    flush(cb: TransformCallback) {
      cb(pending.length > 0 ? new NativeBlockError('CANNOT_READ_ALL_DATA', `The request body ended inside a compressed block (${pending.length} bytes of it)`) : null);
    },
  });
};

/**
 * One LZ4 compressed block. Always LZ4, even when it does not shrink: clients such as the JDBC
 * driver accept only the method the server's network compression uses (LZ4 by default).
 */
export const nativeBlock = (raw: Buffer): Buffer => {
  const data = lz4.compressSync(raw).subarray(4);
  const block = Buffer.allocUnsafe(CHECKSUM + HEADER + data.length);
  block[CHECKSUM] = METHOD.lz4;
  block.writeUInt32LE(HEADER + data.length, CHECKSUM + 1);
  block.writeUInt32LE(raw.length, CHECKSUM + 5);
  data.copy(block, CHECKSUM + HEADER);
  cityHash128(block.subarray(CHECKSUM)).copy(block, 0);
  return block;
};

/** Encodes a response as compressed blocks of up to 1 MiB. */
export const nativeBlockEncoder = (): Transform => {
  let pending: Buffer[] = [];
  let size = 0;
  const emit = (self: Transform, all: Buffer): void => {
    for (let o = 0; o < all.length; o += BLOCK) self.push(nativeBlock(all.subarray(o, o + BLOCK)));
  };
  return new Transform({
    transform(chunk: Buffer, _e, cb: TransformCallback) {
      pending.push(chunk);
      size += chunk.length;
      if (size >= BLOCK) {
        const all = Buffer.concat(pending, size);
        const full = all.length - (all.length % BLOCK);
        emit(this, all.subarray(0, full));
        pending = full < all.length ? [all.subarray(full)] : [];
        size = all.length - full;
      }
      cb();
    },
    flush(cb: TransformCallback) {
      if (size > 0) emit(this, Buffer.concat(pending, size));
      cb();
    },
  });
};
