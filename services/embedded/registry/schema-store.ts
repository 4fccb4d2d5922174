/**
 * The registry's durable state is an ordered log of records, exactly like Confluent's `_schemas`
 * topic: in production a compacted Kafka topic (kafka-store.ts), in tests an array in memory.
 * The registry rebuilds everything it knows by replaying this log on start.
 */

/** One record of the registry's log. key/value are the JSON strings Confluent writes to _schemas; value null = tombstone. */
export interface SchemaLogRecord {
  readonly key: string;
  readonly value: string | null;
}

/** Durable, ordered log. The registry is its only writer (single node). */
export interface SchemaLogStore {
  /** Every record from the beginning, in log order. */
  load(): Promise<readonly SchemaLogRecord[]>;
  /** Appends one record; resolves only when it is durable (acknowledged). */
  append(record: SchemaLogRecord): Promise<void>;
}

/**
 * A log kept in memory: for tests and for a throwaway registry. Several servers may be started one
 * after another over the same instance to simulate a restart.
 */
export const createMemorySchemaStore = (
  initial: readonly SchemaLogRecord[] = [],
): SchemaLogStore & { records(): readonly SchemaLogRecord[] } => {
  const log: SchemaLogRecord[] = initial.map((r) => ({ key: r.key, value: r.value }));
  return {
    load: () => Promise.resolve(log.slice()),
    append: (record) => {
      log.push({ key: record.key, value: record.value });
      return Promise.resolve();
    },
    records: () => log.slice(),
  };
};
