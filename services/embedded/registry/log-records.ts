/**
 * The `_schemas` record format, as Confluent Schema Registry writes it, so that the log can be read
 * by (or seeded from) a real Confluent registry and vice versa:
 *
 *   SCHEMA          key {"keytype":"SCHEMA","subject":s,"version":n,"magic":1}
 *                   value {"subject":s,"version":n,"id":i,"schema":"...","deleted":false}
 *                   (plus "schemaType" when it is not AVRO); null value = permanently deleted version
 *   CONFIG          key {"keytype":"CONFIG","subject":s|null,"magic":0}   (null subject = global)
 *                   value {"compatibilityLevel":"BACKWARD"}; null value = subject config removed
 *   DELETE_SUBJECT  key {"keytype":"DELETE_SUBJECT","subject":s,"magic":0}
 *                   value {"subject":s,"version":n}: every version up to n is soft deleted
 *   NOOP, MODE, ... read and ignored.
 *
 * Keys are always written with the same field order: compaction compares key bytes.
 */
import { err, ok, type Result } from '../../platform/result.ts';
import { parseCompatibilityLevel, type CompatibilityLevel } from './compatibility-levels.ts';
import type { SchemaLogRecord } from './schema-store.ts';

export interface SchemaRecordValue {
  readonly subject: string;
  readonly version: number;
  readonly id: number;
  readonly schema: string;
  /** AVRO unless the log says otherwise (a log written by another registry may hold others). */
  readonly schemaType: string;
  readonly deleted: boolean;
}

export type LogEntry =
  | { readonly kind: 'schema'; readonly subject: string; readonly version: number; readonly value: SchemaRecordValue | null }
  | { readonly kind: 'config'; readonly subject: string | null; readonly level: CompatibilityLevel | null }
  | { readonly kind: 'delete-subject'; readonly subject: string; readonly version: number }
  | { readonly kind: 'ignored'; readonly keytype: string };

// ---- encoding -------------------------------------------------------------------------------

export const schemaRecord = (value: SchemaRecordValue): SchemaLogRecord => ({
  key: schemaKey(value.subject, value.version),
  value: JSON.stringify({
    subject: value.subject,
    version: value.version,
    id: value.id,
    ...(value.schemaType === 'AVRO' ? {} : { schemaType: value.schemaType }),
    schema: value.schema,
    deleted: value.deleted,
  }),
});

export const schemaTombstone = (subject: string, version: number): SchemaLogRecord => ({
  key: schemaKey(subject, version),
  value: null,
});

export const configRecord = (subject: string | null, level: CompatibilityLevel | null): SchemaLogRecord => ({
  key: JSON.stringify({ keytype: 'CONFIG', subject, magic: 0 }),
  value: level === null ? null : JSON.stringify({ compatibilityLevel: level }),
});

export const deleteSubjectRecord = (subject: string, version: number): SchemaLogRecord => ({
  key: JSON.stringify({ keytype: 'DELETE_SUBJECT', subject, magic: 0 }),
  value: JSON.stringify({ subject, version }),
});

const schemaKey = (subject: string, version: number): string =>
  JSON.stringify({ keytype: 'SCHEMA', subject, version, magic: 1 });

// ---- decoding -------------------------------------------------------------------------------

type Json = Readonly<Record<string, unknown>>;

const parseObject = (text: string, what: string): Result<Json, string> => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return err(`${what} is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
    ? ok(parsed as Json)
    : err(`${what} is not a JSON object`);
};

const isVersion = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;

/** Decodes one record; an error names what is wrong so replay can report and skip it. */
export const decodeLogRecord = (record: SchemaLogRecord): Result<LogEntry, string> => {
  const key = parseObject(record.key, 'key');
  if (!key.ok) return key;
  const keytype = key.value['keytype'];
  const subject = key.value['subject'];
  switch (keytype) {
    case 'SCHEMA': {
      const version = key.value['version'];
      if (typeof subject !== 'string' || !isVersion(version)) return err('SCHEMA key needs a subject and a version');
      if (record.value === null) return ok({ kind: 'schema', subject, version, value: null });
      const value = parseObject(record.value, 'SCHEMA value');
      if (!value.ok) return value;
      const { id, schema, schemaType, deleted } = value.value;
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || typeof schema !== 'string') {
        return err('SCHEMA value needs an integer id and a schema string');
      }
      return ok({
        kind: 'schema',
        subject,
        version,
        value: {
          subject,
          version,
          id,
          schema,
          schemaType: typeof schemaType === 'string' ? schemaType.toUpperCase() : 'AVRO',
          deleted: deleted === true,
        },
      });
    }
    case 'CONFIG': {
      if (subject !== null && subject !== undefined && typeof subject !== 'string') return err('CONFIG key subject must be a string or null');
      const target = typeof subject === 'string' ? subject : null;
      if (record.value === null) return ok({ kind: 'config', subject: target, level: null });
      const value = parseObject(record.value, 'CONFIG value');
      if (!value.ok) return value;
      const raw = value.value['compatibilityLevel'];
      // Newer Confluent versions write other settings in CONFIG values; without a level there is nothing for us.
      if (raw === undefined || raw === null) return ok({ kind: 'ignored', keytype: 'CONFIG' });
      const level = parseCompatibilityLevel(raw);
      return level === undefined ? err(`CONFIG value has unknown compatibilityLevel ${JSON.stringify(raw)}`) : ok({ kind: 'config', subject: target, level });
    }
    case 'DELETE_SUBJECT': {
      if (typeof subject !== 'string') return err('DELETE_SUBJECT key needs a subject');
      if (record.value === null) return ok({ kind: 'ignored', keytype: 'DELETE_SUBJECT' });
      const value = parseObject(record.value, 'DELETE_SUBJECT value');
      if (!value.ok) return value;
      const version = value.value['version'];
      return isVersion(version) ? ok({ kind: 'delete-subject', subject, version }) : err('DELETE_SUBJECT value needs a version');
    }
    default:
      return typeof keytype === 'string' ? ok({ kind: 'ignored', keytype }) : err('key has no keytype');
  }
};
