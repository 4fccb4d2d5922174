/**
 * One row per acknowledged frame: telemetry deduplicated by (device, seq) on its way into
 * ClickHouse. Pure.
 *
 * Why ingest must: the device protocol makes (device, seq) the frame's identity, and a frame can
 * reach telemetry.v1 twice at different offsets. When the gateway's write fails ambiguously (the
 * broker died before answering, yet had written it), the device is told to resend, and the resend
 * is written again. Kafka's idempotent producer cannot help across two sends; the asset actors drop
 * the copy by seq; the offsets-based exactly-once of ingest (ingest-runner.ts) keeps both rows.
 *
 * How, cheaply: per partition, ingest remembers each device's highest seq known to be in
 * ClickHouse (inserted by this process, or found there). At a batch's flush:
 *  - a second copy inside the batch is dropped (the first, lower offset, stays);
 *  - a row whose device has no remembered seq yet (after start or an assignment), or whose seq is
 *    not above the remembered one (a resend, or a frame buffered while offline), is looked up in
 *    ClickHouse by its primary key (site_id, device_id, measured_at) and seq, and dropped if there;
 *  - every other row is newer than anything of its device in ClickHouse, so it cannot be a copy.
 * Live traffic (seq rising per device) needs no lookup after the first batch. A device's seq is
 * assumed to rise with its measurement time, as the device protocol says.
 *
 * Determinism: a batch rebuilt from its plan after a crash is checked again against what
 * ClickHouse holds then; if its first insert landed, the rows are found (and the insert's
 * deduplication token drops it anyway), so the outcome is one row per frame either way.
 */

export interface RowIdentity {
  readonly siteId: string;
  readonly deviceId: string;
  readonly seq: number;
  readonly measuredAtMs: number;
  /** The row's bytes in the batch's RowBinary buffer: [start, end). */
  readonly start: number;
  readonly end: number;
}

export interface DedupPlan {
  /** Rows dropped as second copies inside the batch. */
  readonly inBatch: ReadonlySet<number>;
  /** Rows to look up in ClickHouse (indexes into the batch's identities). */
  readonly lookup: readonly number[];
}

const idOf = (deviceId: string, seq: number): string => `${deviceId}\u0000${seq}`;

/** Which rows are copies within the batch, and which must be looked up, given the remembered seqs. */
export const planDedup = (rows: readonly RowIdentity[], knownMaxSeq: ReadonlyMap<string, number>): DedupPlan => {
  const seen = new Set<string>();
  const inBatch = new Set<number>();
  const lookup: number[] = [];
  rows.forEach((r, i) => {
    const id = idOf(r.deviceId, r.seq);
    if (seen.has(id)) {
      inBatch.add(i);
      return;
    }
    seen.add(id);
    const known = knownMaxSeq.get(r.deviceId);
    if (known === undefined || r.seq <= known) lookup.push(i);
  });
  return { inBatch, lookup };
};

/** A ClickHouse string literal. */
const str = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * The query that finds which of the looked-up rows ClickHouse already holds: by the table's primary
 * key prefix (site_id, device_id) and the rows' time span, then exactly by (device_id, seq). Answers
 * one `[device_id, seq]` per line (JSONCompactEachRow).
 */
export const existingRowsQuery = (table: string, rows: readonly RowIdentity[]): string => {
  const pairs = new Map<string, string>();
  let from = Infinity;
  let to = -Infinity;
  for (const r of rows) {
    pairs.set(`${r.siteId}\u0000${r.deviceId}`, `(${str(r.siteId)}, ${str(r.deviceId)})`);
    from = Math.min(from, r.measuredAtMs);
    to = Math.max(to, r.measuredAtMs);
  }
  const ids = rows.map((r) => `(${str(r.deviceId)}, ${r.seq})`).join(', ');
  return `SELECT device_id, seq FROM ${table}
WHERE (site_id, device_id) IN (${[...pairs.values()].join(', ')})
  AND measured_at BETWEEN fromUnixTimestamp64Milli(toInt64(${from}), 'UTC') AND fromUnixTimestamp64Milli(toInt64(${to}), 'UTC')
  AND (device_id, seq) IN (${ids})
FORMAT JSONCompactEachRow`;
};

/** The answer of existingRowsQuery as (device, seq) ids. */
export const parseExisting = (text: string): Set<string> => {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const v: unknown = JSON.parse(line);
    if (Array.isArray(v) && typeof v[0] === 'string') out.add(idOf(v[0], Number(v[1])));
  }
  return out;
};

/** Rows to drop: the in-batch copies and the looked-up rows ClickHouse holds. */
export const rowsToDrop = (rows: readonly RowIdentity[], plan: DedupPlan, existing: ReadonlySet<string>): Set<number> => {
  const drop = new Set(plan.inBatch);
  for (const i of plan.lookup) {
    const r = rows[i];
    if (r !== undefined && existing.has(idOf(r.deviceId, r.seq))) drop.add(i);
  }
  return drop;
};

/** The batch's bytes without the dropped rows (the same buffer when nothing is dropped). */
export const withoutRows = (bytes: Buffer, rows: readonly RowIdentity[], drop: ReadonlySet<number>): Buffer => {
  if (drop.size === 0) return bytes;
  const parts: Buffer[] = [];
  let from = 0;
  rows.forEach((r, i) => {
    if (!drop.has(i)) return;
    if (r.start > from) parts.push(bytes.subarray(from, r.start));
    from = r.end;
  });
  if (from < bytes.length) parts.push(bytes.subarray(from));
  return Buffer.concat(parts);
};

/** The remembered seqs after an insert of the kept rows (and the copies found, which are in ClickHouse). */
export const rememberSeqs = (known: Map<string, number>, rows: readonly RowIdentity[]): void => {
  for (const r of rows) {
    const k = known.get(r.deviceId);
    if (k === undefined || r.seq > k) known.set(r.deviceId, r.seq);
  }
};
