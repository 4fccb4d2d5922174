/**
 * Write requests as pure decisions: given the current state and the request, either a Confluent
 * error or the log records to append plus the body to answer once they are durable. The server
 * runs one decision at a time and applies the records only after the store acknowledged them, so
 * ids and versions can never collide and the state never runs ahead of the log.
 */
import { err, ok, type Result } from '../../platform/result.ts';
import { checkCompatibility } from './compatibility.ts';
import { configRecord, deleteSubjectRecord, schemaRecord, schemaTombstone } from './log-records.ts';
import { registryErrors, type RegistryError } from './registry-errors.ts';
import { earlierSchemas, findVersion } from './registry-queries.ts';
import { effectiveLevel, parseConfigRequest, parseSchemaRequest, parseVersion } from './registry-requests.ts';
import { versionsOf, type RegistryState } from './registry-state.ts';
import type { SchemaLogRecord } from './schema-store.ts';

export interface Decision {
  /** Appended in order; empty when the request changes nothing (e.g. registering a known schema). */
  readonly records: readonly SchemaLogRecord[];
  readonly body: unknown;
}

export type Decide = (state: RegistryState) => Result<Decision, RegistryError>;

/** POST /subjects/{s}/versions */
export const registerSchema =
  (subject: string, body: unknown): Decide =>
  (state) => {
    const parsed = parseSchemaRequest(body);
    if (!parsed.ok) return parsed;
    const all = versionsOf(state, subject, true);
    const live = all.filter((v) => !v.deleted);
    const known = live.find((v) => state.schemas.get(v.id)?.canonical === parsed.value.canonical);
    if (known !== undefined) return ok({ records: [], body: { id: known.id } });

    const messages = checkCompatibility(effectiveLevel(state, subject), parsed.value.type, earlierSchemas(live));
    if (messages.length > 0) return err(registryErrors.incompatible(subject, messages));

    // Same schema under any subject (soft-deleted versions included) keeps its global id.
    const existingId = state.idsByCanonical.get(parsed.value.canonical);
    const id = existingId ?? state.maxId + 1;
    const schema = existingId === undefined ? parsed.value.text : (state.schemas.get(existingId)?.schema ?? parsed.value.text);
    const version = (all.at(-1)?.version ?? 0) + 1;
    return ok({
      records: [schemaRecord({ subject, version, id, schema, schemaType: 'AVRO', deleted: false })],
      body: { id },
    });
  };

/** DELETE /subjects/{s}/versions/{v}[?permanent=true]: soft first, permanent only after soft. */
export const deleteVersion =
  (subject: string, rawVersion: string, permanent: boolean): Decide =>
  (state) => {
    const ref = parseVersion(rawVersion);
    if (!ref.ok) return ref;
    if (versionsOf(state, subject, true).length === 0) return err(registryErrors.subjectNotFound(subject));
    const found = findVersion(state, subject, ref.value, permanent);
    if (!found.ok) {
      const deleted = ref.value !== 'latest' && versionsOf(state, subject, true).some((v) => v.version === ref.value);
      return deleted && typeof ref.value === 'number' ? err(registryErrors.versionSoftDeleted(subject, ref.value)) : found;
    }
    const v = found.value;
    if (permanent) {
      if (!v.deleted) return err(registryErrors.versionNotSoftDeleted(subject, v.version));
      return ok({ records: [schemaTombstone(subject, v.version)], body: v.version });
    }
    return ok({ records: [schemaRecord({ ...v, deleted: true })], body: v.version });
  };

/** DELETE /subjects/{s}[?permanent=true]: answers the versions deleted. */
export const deleteSubject =
  (subject: string, permanent: boolean): Decide =>
  (state) => {
    const all = versionsOf(state, subject, true);
    if (all.length === 0) return err(registryErrors.subjectNotFound(subject));
    const live = all.filter((v) => !v.deleted);
    if (permanent) {
      if (live.length > 0) return err(registryErrors.subjectNotSoftDeleted(subject));
      return ok({ records: all.map((v) => schemaTombstone(subject, v.version)), body: all.map((v) => v.version) });
    }
    const latest = live.at(-1);
    if (latest === undefined) return err(registryErrors.subjectSoftDeleted(subject));
    // As Confluent does, a deleted subject also loses its compatibility setting.
    const dropConfig = state.subjectLevels.has(subject) ? [configRecord(subject, null)] : [];
    return ok({ records: [deleteSubjectRecord(subject, latest.version), ...dropConfig], body: live.map((v) => v.version) });
  };

/** PUT /config (subject null) and PUT /config/{s}. */
export const setConfig =
  (subject: string | null, body: unknown): Decide =>
  () => {
    const level = parseConfigRequest(body);
    if (!level.ok) return level;
    return ok({ records: [configRecord(subject, level.value)], body: { compatibility: level.value } });
  };

/** DELETE /config (back to the default) and DELETE /config/{s} (back to the global level): answers the level removed. */
export const deleteConfig =
  (subject: string | null): Decide =>
  (state) => {
    if (subject === null) {
      return ok({ records: state.globalLevel === undefined ? [] : [configRecord(null, null)], body: { compatibilityLevel: effectiveLevel(state, null) } });
    }
    const own = state.subjectLevels.get(subject);
    if (own === undefined) {
      return versionsOf(state, subject).length === 0
        ? err(registryErrors.subjectNotFound(subject))
        : err(registryErrors.subjectConfigNotFound(subject));
    }
    return ok({ records: [configRecord(subject, null)], body: { compatibilityLevel: own } });
  };
