/**
 * Reconciliation of a raw table against Kafka: every partition must hold exactly as many rows as
 * records were produced to it (end offset minus start offset, for a topic without gaps), and no
 * identity (for telemetry: device and sequence number) may appear twice. The comparison is pure;
 * `readTableCounts` is the query.
 */
import type { ClickHouseClient } from '@clickhouse/client';

export interface TableCounts {
  /** partition -> rows */
  readonly rowsByPartition: ReadonlyMap<number, number>;
  /** identities that occur more than once */
  readonly duplicateKeys: number;
}

/** Problems found, empty when the table matches Kafka exactly. */
export const reconcile = (expectedByPartition: ReadonlyMap<number, number>, actual: TableCounts): string[] => {
  const problems: string[] = [];
  const partitions = new Set([...expectedByPartition.keys(), ...actual.rowsByPartition.keys()]);
  for (const p of [...partitions].sort((a, b) => a - b)) {
    const want = expectedByPartition.get(p) ?? 0;
    const got = actual.rowsByPartition.get(p) ?? 0;
    if (want !== got) problems.push(`partition ${p}: ${got} rows, expected ${want} (${got > want ? 'duplicates' : 'missing'})`);
  }
  if (actual.duplicateKeys > 0) problems.push(`${actual.duplicateKeys} identities appear more than once`);
  return problems;
};

/** Rows per kafka_partition and duplicated `identity` tuples (e.g. "device_id, seq") of a table. */
export const readTableCounts = async (client: ClickHouseClient, table: string, identity: string): Promise<TableCounts> => {
  const perPartition = await (await client.query({ query: `SELECT kafka_partition AS p, count() AS n FROM ${table} GROUP BY p`, format: 'JSONEachRow' }))
    .json<{ p: number; n: string }>();
  const dup = await (await client.query({ query: `SELECT count() AS d FROM (SELECT ${identity} FROM ${table} GROUP BY ${identity} HAVING count() > 1)`, format: 'JSONEachRow' }))
    .json<{ d: string }>();
  return { rowsByPartition: new Map(perPartition.map((r) => [Number(r.p), Number(r.n)])), duplicateKeys: Number(dup[0]?.d ?? 0) };
};
