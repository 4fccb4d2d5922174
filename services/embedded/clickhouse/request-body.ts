/**
 * The request body as a byte stream: decompressed per Content-Encoding, read in pieces so large
 * inserts stream in, with a peek at the head to find where an inline INSERT's data begins.
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { err, ok, type Result } from '../../platform/result.ts';
import { ownException, type ChException } from './exception.ts';

export const decodedBody = (req: IncomingMessage): Result<Readable, ChException> => {
  const enc = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (enc === '' || enc === 'identity') return ok(req);
  if (enc === 'gzip' || enc === 'x-gzip') return ok(req.pipe(createGunzip()));
  if (enc === 'deflate') return ok(req.pipe(createInflate()));
  if (enc === 'br') return ok(req.pipe(createBrotliDecompress()));
  return err(ownException('UNKNOWN_COMPRESSION_METHOD', `Unknown or unsupported Content-Encoding: ${enc} (the embedded server reads gzip, deflate and br)`));
};

/** Pulls a body in pieces; `head` holds what was peeked and not yet consumed. */
export interface BodyReader {
  /** Reads until at least `bytes` are buffered or the body ends; returns the buffered head. */
  peek(bytes: number): Promise<Buffer>;
  /** Drops the first `bytes` of the head. */
  skip(bytes: number): void;
  /** The rest of the body, head first. */
  chunks(): AsyncGenerator<Buffer>;
  /** All of the rest, refusing more than `limit` bytes. */
  readAll(limit: number): Promise<Result<Buffer, ChException>>;
}

export const bodyReader = (source: Readable): BodyReader => {
  const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let head: Buffer = Buffer.alloc(0);
  let ended = false;
  const pull = async (): Promise<Buffer | undefined> => {
    if (ended) return undefined;
    const r = await it.next();
    if (r.done === true) {
      ended = true;
      return undefined;
    }
    return r.value;
  };
  const reader: BodyReader = {
    peek: async (bytes) => {
      const parts = [head];
      let size = head.length;
      while (size < bytes) {
        const c = await pull();
        if (!c) break;
        parts.push(c);
        size += c.length;
      }
      head = parts.length === 1 ? head : Buffer.concat(parts, size);
      return head;
    },
    skip: (bytes) => {
      head = head.subarray(bytes);
    },
    chunks: async function* () {
      if (head.length > 0) {
        const h = head;
        head = Buffer.alloc(0);
        yield h;
      }
      for (let c = await pull(); c; c = await pull()) yield c;
    },
    readAll: async (limit) => {
      const parts: Buffer[] = [];
      let size = 0;
      for await (const c of reader.chunks()) {
        size += c.length;
        if (size > limit) {
          return err(ownException('QUERY_IS_TOO_LARGE', `Request body is larger than the embedded server's limit of ${limit} bytes for a body held whole (CLICKHOUSE_MAX_INSERT_MB)`));
        }
        parts.push(c);
      }
      return ok(Buffer.concat(parts, size));
    },
  };
  return reader;
};
