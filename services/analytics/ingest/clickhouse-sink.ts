/**
 * The ClickHouse adapter of ingest: one RowBinary INSERT per batch, streamed as the request body
 * through @clickhouse/client's `exec`, carrying the batch's insert_deduplication_token. One attempt
 * per call: the runner owns retries, backoff and pausing. Failures are PlatformErrors:
 * CLICKHOUSE_UNAVAILABLE (canRetry) or CLICKHOUSE_REJECTED (retrying cannot fix it, e.g. an
 * unmigrated table), see platform/clickhouse-errors.ts.
 */
import { Readable } from 'node:stream';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { toClickHouseError } from '../../platform/clickhouse-errors.ts';
import type { Column } from './row-binary.ts';

export interface InsertRequest {
  readonly table: string;
  readonly columns: readonly Column[];
  readonly body: Readable;
  readonly token: string;
}

export interface ClickHouseSink {
  insert(req: InsertRequest): Promise<void>;
  /** Resolves when ClickHouse answers a query. */
  ping(): Promise<void>;
  /** Runs a read (the SQL names its FORMAT) and answers its text. */
  select(sql: string): Promise<string>;
  close(): Promise<void>;
}

export interface SinkOptions {
  readonly url: string;
  readonly database: string;
  readonly username: string;
  readonly password: string;
  /** Per request, default 60 s. */
  readonly requestTimeoutMs?: number;
}

const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
  try {
    return await fn();
  } catch (e) {
    throw toClickHouseError(what, e);
  }
};

export const createClickHouseSink = (opts: SinkOptions): ClickHouseSink => {
  const client: ClickHouseClient = createClient({
    url: opts.url,
    username: opts.username,
    password: opts.password,
    database: opts.database,
    request_timeout: opts.requestTimeoutMs ?? 60_000,
    max_open_connections: 16,
  });
  return {
    insert: (req) => attempt(`insert into ${req.table}`, async () => {
      const res = await client.exec({
        query: `INSERT INTO ${opts.database}.${req.table} (${req.columns.map((c) => c.name).join(', ')}) FORMAT RowBinary`,
        values: req.body,
        clickhouse_settings: {
          insert_deduplicate: 1,
          insert_deduplication_token: req.token,
          // ClickHouse servers before 24.x default this to 0: without it a retried insert whose
          // first attempt landed would be dropped in the raw table but counted again in the rollups.
          deduplicate_blocks_in_dependent_materialized_views: 1,
        },
      });
      // The insert is acknowledged once the response ends; drain it so the socket is reused.
      for await (const _ of res.stream) void _;
    }),
    select: (sql) => attempt('lookup', async () => {
      const res = await client.exec({ query: sql });
      let text = '';
      for await (const chunk of res.stream) text += String(chunk);
      return text;
    }),
    ping: () => attempt('ping', async () => {
      await client.command({ query: 'SELECT 1' });
    }),
    close: () => client.close(),
  };
};

/** A request body of the given bytes; with `dieHalfway`, it sends half of them and then calls it. */
export const bodyOf = (bytes: Buffer, dieHalfway?: () => void): Readable => {
  if (dieHalfway === undefined) return Readable.from([bytes], { objectMode: false });
  const half = Math.max(1, Math.floor(bytes.length / 2));
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(bytes.subarray(0, half));
        // Let the first half reach the socket before dying.
        setTimeout(dieHalfway, 200);
      }
    },
  });
};
