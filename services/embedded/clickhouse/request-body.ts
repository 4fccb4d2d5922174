/**
 * The request body as a byte stream: decompressed per Content-Encoding, read in pieces so large
 * inserts stream in, with a peek at the head to find where an inline INSERT's data begins.
 * A body that ends early (client gone, Content-Length not reached, no chunked terminator) or
 * whose encoding is truncated or corrupt fails the stream instead of ending it: that failure is
 * what keeps a streamed insert from being committed.
 */
import type { IncomingMessage } from 'node:http';
import { pipeline, type Readable, type Transform } from 'node:stream';
import { err, ok, type Result } from '../../platform/result.ts';
import { ownException, type ChException } from './exception.ts';
import { BodyFailure } from './streamed-insert.ts';
import { HTTP_ENCODINGS, requestDecoder, requestEncoding } from './http-codecs.ts';
import { NativeBlockError, nativeBlockDecoder } from './native-blocks.ts';

/** How the body is framed besides Content-Encoding: ClickHouse's compressed blocks (`decompress=1`). */
export interface NativeFraming {
  readonly blocks: boolean;
  readonly verifyChecksums: boolean;
}

export const decodedBody = (req: IncomingMessage, limit: number, native: NativeFraming): Result<Readable, ChException> => {
  const raw = req.headers['content-encoding'];
  const enc = requestEncoding(raw);
  if (enc === undefined) {
    return err(ownException('UNKNOWN_COMPRESSION_METHOD', `Unknown or unsupported Content-Encoding: ${String(raw)} (the embedded server reads ${HTTP_ENCODINGS.join(', ')})`));
  }
  const tooLarge = (): Error => new BodyFailure(ownException('QUERY_IS_TOO_LARGE', `Compressed request body is larger than the embedded server's limit of ${limit} bytes (CLICKHOUSE_MAX_INSERT_MB)`));
  const stages: Transform[] = [];
  if (enc !== 'identity') stages.push(requestDecoder(enc, limit, tooLarge));
  if (native.blocks) stages.push(nativeBlockDecoder(native.verifyChecksums));
  if (stages.length === 0) return ok(req);
  // pipeline, not pipe: a request that breaks must fail the decoders too, or a reader would wait forever.
  return ok(pipeline([req, ...stages], () => undefined) as unknown as Readable);
};

/** The ClickHouse exception for a body that broke while it was read (cut, truncated encoding, too large). */
export const bodyException = (e: unknown): ChException => {
  if (e instanceof BodyFailure) return e.exception;
  if (e instanceof NativeBlockError) return ownException(e.codeName, e.message);
  const code = (e as { code?: unknown } | undefined)?.code;
  const msg = e instanceof Error ? e.message : String(e);
  if (typeof code === 'string' && code.startsWith('Z_')) return ownException('CANNOT_DECOMPRESS', `Cannot decompress the request body: ${msg}`);
  if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || msg === 'aborted') {
    return ownException('CANNOT_READ_ALL_DATA', `The request body ended before its declared end (${msg}); nothing was inserted`);
  }
  return ownException('CANNOT_DECOMPRESS', `Cannot read the request body: ${msg}`);
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
    let r: IteratorResult<Buffer>;
    try {
      r = await it.next();
    } catch (e) {
      throw new BodyFailure(bodyException(e));
    }
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
