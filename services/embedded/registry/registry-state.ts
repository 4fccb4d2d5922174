/**
 * The registry's state is a pure fold over its log: `apply(state, entry)` for each record in order.
 * Replaying the same records always yields the same state, which is what makes a restart (or a
 * second node reading the topic) see the same ids and versions. Nothing here does I/O.
 */
import { canonicalOfStored } from './avro-schema.ts';
import type { CompatibilityLevel } from './compatibility-levels.ts';
import { decodeLogRecord, type LogEntry, type SchemaRecordValue } from './log-records.ts';
import type { SchemaLogRecord } from './schema-store.ts';

export type SchemaVersion = SchemaRecordValue;

export interface StoredSchema {
  readonly id: number;
  readonly schema: string;
  readonly schemaType: string;
  readonly canonical: string;
  /** How many subject versions (soft deleted included) use this id; at 0 the id is forgotten. */
  readonly refs: number;
}

export interface RegistryState {
  /** subject → version → schema version (soft-deleted versions stay until permanently deleted). */
  readonly subjects: ReadonlyMap<string, ReadonlyMap<number, SchemaVersion>>;
  readonly schemas: ReadonlyMap<number, StoredSchema>;
  /** canonical schema → its global id, so the same schema under any subject gets the same id. */
  readonly idsByCanonical: ReadonlyMap<string, number>;
  /** Highest id ever seen in the log: new ids are above it. */
  readonly maxId: number;
  /** undefined = never configured: the registry's default applies. */
  readonly globalLevel: CompatibilityLevel | undefined;
  readonly subjectLevels: ReadonlyMap<string, CompatibilityLevel>;
}

export const emptyState: RegistryState = {
  subjects: new Map(),
  schemas: new Map(),
  idsByCanonical: new Map(),
  maxId: 0,
  globalLevel: undefined,
  subjectLevels: new Map(),
};

const withEntry = <K, V>(map: ReadonlyMap<K, V>, key: K, value: V): Map<K, V> => new Map(map).set(key, value);
const without = <K, V>(map: ReadonlyMap<K, V>, key: K): Map<K, V> => {
  const copy = new Map(map);
  copy.delete(key);
  return copy;
};

const addRef = (state: RegistryState, v: SchemaVersion): Pick<RegistryState, 'schemas' | 'idsByCanonical' | 'maxId'> => {
  const existing = state.schemas.get(v.id);
  if (existing !== undefined) {
    return { schemas: withEntry(state.schemas, v.id, { ...existing, refs: existing.refs + 1 }), idsByCanonical: state.idsByCanonical, maxId: state.maxId };
  }
  const canonical = canonicalOfStored(v.schemaType, v.schema);
  const stored: StoredSchema = { id: v.id, schema: v.schema, schemaType: v.schemaType, canonical, refs: 1 };
  return {
    schemas: withEntry(state.schemas, v.id, stored),
    // The first id seen for a schema stays its id (a foreign log may hold the same schema twice).
    idsByCanonical: state.idsByCanonical.has(canonical) ? state.idsByCanonical : withEntry(state.idsByCanonical, canonical, v.id),
    maxId: Math.max(state.maxId, v.id),
  };
};

const dropRef = (state: RegistryState, id: number): Pick<RegistryState, 'schemas' | 'idsByCanonical'> => {
  const existing = state.schemas.get(id);
  if (existing === undefined) return state;
  if (existing.refs > 1) return { schemas: withEntry(state.schemas, id, { ...existing, refs: existing.refs - 1 }), idsByCanonical: state.idsByCanonical };
  return {
    schemas: without(state.schemas, id),
    idsByCanonical:
      state.idsByCanonical.get(existing.canonical) === id ? without(state.idsByCanonical, existing.canonical) : state.idsByCanonical,
  };
};

const applySchema = (state: RegistryState, subject: string, version: number, value: SchemaVersion | null): RegistryState => {
  const versions = state.subjects.get(subject) ?? new Map<number, SchemaVersion>();
  const previous = versions.get(version);
  let next: RegistryState = previous === undefined ? state : { ...state, ...dropRef(state, previous.id) };
  if (value === null) {
    const remaining = without(versions, version);
    return { ...next, subjects: remaining.size === 0 ? without(next.subjects, subject) : withEntry(next.subjects, subject, remaining) };
  }
  next = { ...next, ...addRef(next, value) };
  return { ...next, subjects: withEntry(next.subjects, subject, withEntry(versions, version, value)) };
};

const applyDeleteSubject = (state: RegistryState, subject: string, upTo: number): RegistryState => {
  const versions = state.subjects.get(subject);
  if (versions === undefined) return state;
  const marked = new Map([...versions].map(([n, v]) => [n, n <= upTo && !v.deleted ? { ...v, deleted: true } : v] as const));
  return { ...state, subjects: withEntry(state.subjects, subject, marked) };
};

/** The state after one more log entry. */
export const apply = (state: RegistryState, entry: LogEntry): RegistryState => {
  switch (entry.kind) {
    case 'schema':
      return applySchema(state, entry.subject, entry.version, entry.value);
    case 'delete-subject':
      return applyDeleteSubject(state, entry.subject, entry.version);
    case 'config':
      if (entry.subject === null) return { ...state, globalLevel: entry.level ?? undefined };
      return {
        ...state,
        subjectLevels: entry.level === null ? without(state.subjectLevels, entry.subject) : withEntry(state.subjectLevels, entry.subject, entry.level),
      };
    case 'ignored':
      return state;
  }
};

/** Decodes and applies one raw record; an undecodable record leaves the state unchanged. */
export const applyRecord = (state: RegistryState, record: SchemaLogRecord): { state: RegistryState; problem?: string } => {
  const entry = decodeLogRecord(record);
  return entry.ok ? { state: apply(state, entry.value) } : { state, problem: `${entry.error} (key ${record.key})` };
};

/** Rebuilds the state from a whole log; problems lists records that were skipped and why. */
export const replay = (records: readonly SchemaLogRecord[], from: RegistryState = emptyState): { state: RegistryState; problems: string[] } => {
  let state = from;
  const problems: string[] = [];
  for (const record of records) {
    const next = applyRecord(state, record);
    state = next.state;
    if (next.problem !== undefined) problems.push(next.problem);
  }
  return { state, problems };
};

// ---- queries over the state -----------------------------------------------------------------

/** A subject's versions in ascending order. */
export const versionsOf = (state: RegistryState, subject: string, includeDeleted = false): SchemaVersion[] =>
  [...(state.subjects.get(subject)?.values() ?? [])]
    .filter((v) => includeDeleted || !v.deleted)
    .sort((a, b) => a.version - b.version);

/** A subject exists while it has a version that is not deleted. */
export const subjectExists = (state: RegistryState, subject: string, includeDeleted = false): boolean =>
  versionsOf(state, subject, includeDeleted).length > 0;

export const subjectNames = (state: RegistryState, includeDeleted = false): string[] =>
  [...state.subjects.keys()].filter((s) => subjectExists(state, s, includeDeleted)).sort();
