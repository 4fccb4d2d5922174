/**
 * The ClickHouse adapter of ingest: one RowBinary INSERT per batch, streamed as the request body
 * through @clickhouse/client's `exec`, carrying the batch's insert_deduplication_token; and the
 * recovery query (the highest Kafka offset each partition already has in a table). One attempt
 * per call: the runner owns retries, backoff and pausing.
 */
import { Readable } from 'node:stream';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import type { Column } from './row-binary.ts';

export interface InsertRequest {
  readonly table: string;
  readonly columns: readonly Column[];
  readonly body: Readable;
  readonly token: string;
}

export interface ClickHouseSink {
  insert(req: InsertRequest): Promise<void>;
  /** partition -> highest kafka_offset stored in the table, for the given partitions that have rows. */
  maxOffsets(table: string, partitions: readonly number[]): Promise<Map<number, number>>;
  /** Resolves when ClickHouse answers a query. */
  ping(): Promise<void>;
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

/** Whether ClickHouse answered at all (a server error code) rather than being unreachable. */
export const clickhouseErrorCode = (e: unknown): string | undefined =>
  typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' && /^\d+$/.test(e.code) ? e.code : undefined;

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
    async insert(req) {
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
    },
    async maxOffsets(table, partitions) {
      if (partitions.length === 0) return new Map();
      const rs = await client.query({
        query: `SELECT kafka_partition AS p, max(kafka_offset) AS o FROM ${opts.database}.${table}
                WHERE kafka_partition IN {partitions:Array(UInt16)} GROUP BY kafka_partition`,
        query_params: { partitions: [...partitions] },
        format: 'JSONEachRow',
      });
      const rows = await rs.json<{ p: number; o: string | number }>();
      return new Map(rows.map((r) => [Number(r.p), Number(r.o)]));
    },
    async ping() {
      await client.command({ query: 'SELECT 1' });
    },
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
