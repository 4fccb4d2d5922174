/**
 * An insert body streamed into the engine while it arrives, all or nothing: the body goes into a
 * named pipe inside a stored-gzip envelope (`stored-gzip.ts`) that is closed properly only when
 * the body is known whole. A cut body (client gone, Content-Length not reached, chunked
 * terminator missing, request decoder failing on a truncated frame) or an oversized one ends the
 * pipe without the envelope's end, so the engine's read fails and its insert commits nothing.
 *
 * The engine commits an insert block by block; the caller therefore asks for one block per
 * insert (`singleBlockSettings`), so nothing is committed before the read has ended well.
 */
import type { Socket } from 'node:net';
import type { EngineConnection } from './chdb-engine.ts';
import { ownException, type ChException } from './exception.ts';
import type { InsertPipe } from './insert-pipes.ts';
import { storedGzip } from './stored-gzip.ts';

/**
 * Settings that make the engine squash the whole body into one block, so one commit at its end.
 * Only the squashing thresholds: a huge max_insert_block_size would also size the parser's
 * buffers and made JSONEachRow inserts markedly slower when tried.
 */
export const singleBlockSettings = 'min_insert_block_size_rows=18446744073709551615, min_insert_block_size_bytes=18446744073709551615';

export class BodyFailure extends Error {
  constructor(readonly exception: ChException) {
    super(exception.text);
  }
}

const writeAll = async (sock: Socket, pieces: readonly Buffer[], gone: () => boolean): Promise<void> => {
  sock.cork();
  let ok = true;
  for (const p of pieces) ok = sock.write(p) && ok;
  sock.uncork();
  if (ok || gone()) return;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      sock.off('drain', done);
      sock.off('close', done);
      resolve();
    };
    sock.once('drain', done);
    sock.once('close', done);
  });
};

export interface InsertOutcome {
  readonly rows: number;
  readonly bytes: number;
}

/**
 * Runs `sql` (an `INSERT ... FROM INFILE <pipe.path> COMPRESSION 'gzip' ...`) while feeding it
 * `body`. Throws the body's failure if the body broke (the engine then failed its read), else the
 * engine's error if it refused the data.
 */
export const streamInsert = async (conn: EngineConnection, sql: string, body: AsyncIterable<Buffer>, limit: number, pipe: InsertPipe): Promise<InsertOutcome> => {
  let settled = false;
  const query = conn.exec(sql, 'TabSeparated');
  const settledQuery = query.then(
    (r) => ({ ok: true as const, r }),
    (e: unknown) => ({ ok: false as const, e }),
  );
  void settledQuery.then(() => {
    settled = true;
  });
  const gone = (): boolean => settled;
  let sock: Socket | undefined;
  let bodyError: Error | undefined;
  let size = 0;
  try {
    sock = await pipe.open(gone);
    if (sock) {
      sock.on('error', () => undefined); // EPIPE once the engine stopped reading: its error says why
      const env = storedGzip();
      await writeAll(sock, [env.header], gone);
      for await (const chunk of body) {
        size += chunk.length;
        if (size > limit) throw new BodyFailure(ownException('QUERY_IS_TOO_LARGE', `Insert body is larger than the embedded server's limit of ${limit} bytes (CLICKHOUSE_MAX_INSERT_MB)`));
        if (gone()) break;
        await writeAll(sock, env.frame(chunk), gone);
      }
      if (!gone()) {
        sock.end(env.end());
      }
    }
  } catch (e) {
    bodyError = e instanceof Error ? e : new Error(String(e));
  } finally {
    // Without the envelope's end this close is what fails the engine's read.
    if (bodyError !== undefined || settled) sock?.destroy();
  }
  const outcome = await settledQuery;
  sock?.destroy();
  pipe.release();
  if (bodyError !== undefined) throw bodyError;
  if (!outcome.ok) throw outcome.e instanceof Error ? outcome.e : new Error(String(outcome.e));
  return { rows: outcome.r.rowsRead, bytes: size };
};
