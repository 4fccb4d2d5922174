/**
 * Writes a ClickHouse HTTP response: the headers ClickHouse sends, optional compression in any
 * HTTP encoding ClickHouse offers (http-codecs.ts), backpressure on every chunk, and exceptions in
 * ClickHouse's form.
 */
import type { ServerResponse } from 'node:http';
import type { Transform, Writable } from 'node:stream';
import { exceptionBody, httpStatusFor, type ChException } from './exception.ts';
import { contentTypeFor } from './formats.ts';
import { responseEncoder, type HttpEncoding } from './http-codecs.ts';
import { nativeBlockEncoder } from './native-blocks.ts';

export interface Summary {
  readRows: number;
  readBytes: number;
  writtenRows: number;
  writtenBytes: number;
  resultRows: number;
  resultBytes: number;
}

export const emptySummary = (): Summary => ({ readRows: 0, readBytes: 0, writtenRows: 0, writtenBytes: 0, resultRows: 0, resultBytes: 0 });

export const summaryHeader = (s: Summary, elapsedNs: bigint): string =>
  JSON.stringify({
    read_rows: String(s.readRows),
    read_bytes: String(s.readBytes),
    written_rows: String(s.writtenRows),
    written_bytes: String(s.writtenBytes),
    total_rows_to_read: String(s.readRows),
    result_rows: String(s.resultRows),
    result_bytes: String(s.resultBytes),
    elapsed_ns: String(elapsedNs),
  });

export interface ResponseContext {
  readonly res: ServerResponse;
  readonly queryId: string;
  readonly format: string;
  readonly timezone: string;
  readonly version: string;
  readonly displayName: string;
  readonly encoding: HttpEncoding | undefined;
  /** `compress=1`: ClickHouse's compressed blocks inside any HTTP encoding. */
  readonly nativeBlocks: boolean;
  readonly startedNs: bigint;
}

const baseHeaders = (ctx: ResponseContext): Record<string, string> => ({
  'X-ClickHouse-Server-Display-Name': ctx.displayName,
  'X-ClickHouse-Query-Id': ctx.queryId,
  'X-ClickHouse-Timezone': ctx.timezone,
});

/** Sends an exception as ClickHouse does, with its status, code header and plain-text body. */
export const sendException = (ctx: ResponseContext, e: ChException): void => {
  const { res } = ctx;
  if (res.headersSent) return;
  const body = exceptionBody(e, ctx.version);
  res.writeHead(httpStatusFor(e), {
    ...baseHeaders(ctx),
    'X-ClickHouse-Exception-Code': String(e.code),
    'Content-Type': 'text/plain; charset=UTF-8',
    'Content-Length': String(Buffer.byteLength(body)),
    ...(e.name === 'REQUIRED_PASSWORD' ? { 'WWW-Authenticate': 'Basic realm="ClickHouse server HTTP API"' } : {}),
  });
  res.end(body);
};

export interface BodyWriter {
  write(chunk: Buffer): Promise<void>;
  end(): Promise<void>;
  /** Appends an exception after data was sent, then breaks the connection so the client cannot take a truncated result for a whole one. */
  fail(e: ChException): void;
}

/** Starts a 200 response and returns a writer that respects backpressure. */
export const startBody = (ctx: ResponseContext, summary: Summary, complete: boolean): BodyWriter => {
  const { res } = ctx;
  const headers: Record<string, string> = {
    ...baseHeaders(ctx),
    'X-ClickHouse-Format': ctx.format,
    'Content-Type': contentTypeFor(ctx.format),
    'X-ClickHouse-Summary': summaryHeader(summary, process.hrtime.bigint() - ctx.startedNs),
  };
  if (ctx.encoding) headers['Content-Encoding'] = ctx.encoding;
  if (!complete) headers['Transfer-Encoding'] = 'chunked';
  res.writeHead(200, headers);
  const http: Writable = ctx.encoding === undefined ? res : responseEncoder(ctx.encoding);
  if (http !== res) (http as Transform).pipe(res);
  const sink: Writable = ctx.nativeBlocks ? nativeBlockEncoder() : http;
  if (sink !== http) (sink as Transform).pipe(http);
  const waitDrain = (w: Writable): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        w.off('drain', done);
        w.off('close', done);
        res.off('close', done);
        resolve();
      };
      w.once('drain', done);
      w.once('close', done);
      res.once('close', done);
    });
  return {
    write: async (chunk) => {
      if (res.destroyed) return;
      if (!sink.write(chunk)) await waitDrain(sink);
    },
    end: () =>
      new Promise((resolve) => {
        if (res.destroyed) return resolve();
        res.once('finish', () => resolve());
        res.once('close', () => resolve());
        sink.end();
      }),
    fail: (e) => {
      const text = Buffer.from(`\n${exceptionBody(e, ctx.version)}`);
      if (sink !== res) sink.end(text);
      else res.write(text);
      // Give the exception text a moment to leave, then cut the connection.
      setTimeout(() => res.destroy(), 50).unref();
    },
  };
};
