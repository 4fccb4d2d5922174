/**
 * Read-only answers of the REST API, as pure functions of the state. Bodies are exactly what
 * Confluent returns (schemaType is only present when it is not AVRO).
 */
import { err, ok, type Result } from '../../platform/result.ts';
import { parseAvroSchema } from './avro-schema.ts';
import { checkCompatibility, type EarlierSchema } from './compatibility.ts';
import { registryErrors, type RegistryError } from './registry-errors.ts';
import { effectiveLevel, parseSchemaRequest, parseVersion, type VersionRef } from './registry-requests.ts';
import { subjectExists, subjectNames, versionsOf, type RegistryState, type SchemaVersion, type StoredSchema } from './registry-state.ts';

type Reply = Result<unknown, RegistryError>;

const typeField = (schemaType: string): { schemaType?: string } => (schemaType === 'AVRO' ? {} : { schemaType });

export const versionBody = (v: SchemaVersion): Record<string, unknown> => ({
  subject: v.subject,
  version: v.version,
  id: v.id,
  ...typeField(v.schemaType),
  schema: v.schema,
});

export const listSubjects = (state: RegistryState, includeDeleted: boolean): Reply => ok(subjectNames(state, includeDeleted));

export const listVersions = (state: RegistryState, subject: string, includeDeleted: boolean): Reply => {
  const versions = versionsOf(state, subject, includeDeleted);
  return versions.length === 0 ? err(registryErrors.subjectNotFound(subject)) : ok(versions.map((v) => v.version));
};

/** Finds a version (latest = highest not deleted); subject errors come before version errors. */
export const findVersion = (
  state: RegistryState,
  subject: string,
  ref: VersionRef,
  includeDeleted: boolean,
): Result<SchemaVersion, RegistryError> => {
  if (!subjectExists(state, subject, includeDeleted)) return err(registryErrors.subjectNotFound(subject));
  const versions = versionsOf(state, subject, includeDeleted);
  const found = ref === 'latest' ? versions.at(-1) : versions.find((v) => v.version === ref);
  return found === undefined ? err(registryErrors.versionNotFound(ref)) : ok(found);
};

export const getVersion = (state: RegistryState, subject: string, rawVersion: string, includeDeleted: boolean): Reply => {
  const ref = parseVersion(rawVersion);
  if (!ref.ok) return ref;
  const found = findVersion(state, subject, ref.value, includeDeleted);
  return found.ok ? ok(versionBody(found.value)) : found;
};

/** GET .../versions/{n}/schema and /schemas/ids/{id}/schema answer the schema itself, unwrapped. */
export const rawSchema = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

export const getVersionSchema = (state: RegistryState, subject: string, rawVersion: string, includeDeleted: boolean): Reply => {
  const ref = parseVersion(rawVersion);
  if (!ref.ok) return ref;
  const found = findVersion(state, subject, ref.value, includeDeleted);
  return found.ok ? ok(rawSchema(found.value.schema)) : found;
};

const parseId = (raw: string): number | undefined => (/^\d{1,10}$/.test(raw) ? Number(raw) : undefined);

const storedById = (state: RegistryState, rawId: string): Result<StoredSchema, RegistryError> => {
  const id = parseId(rawId);
  const stored = id === undefined ? undefined : state.schemas.get(id);
  return stored === undefined ? err(registryErrors.schemaNotFound(id)) : ok(stored);
};

export const getSchemaById = (state: RegistryState, rawId: string): Reply => {
  const stored = storedById(state, rawId);
  return stored.ok ? ok({ ...typeField(stored.value.schemaType), schema: stored.value.schema }) : stored;
};

export const getSchemaTextById = (state: RegistryState, rawId: string): Reply => {
  const stored = storedById(state, rawId);
  return stored.ok ? ok(rawSchema(stored.value.schema)) : stored;
};

/** Subject-version pairs using an id (GET /schemas/ids/{id}/versions). */
export const getSchemaUsages = (
  state: RegistryState,
  rawId: string,
  includeDeleted: boolean,
): Result<{ subject: string; version: number }[], RegistryError> => {
  const stored = storedById(state, rawId);
  if (!stored.ok) return stored;
  const id = stored.value.id;
  const usages = subjectNames(state, true).flatMap((s) =>
    versionsOf(state, s, includeDeleted)
      .filter((v) => v.id === id)
      .map((v) => ({ subject: v.subject, version: v.version })),
  );
  return ok(usages);
};

/** Subjects using an id (GET /schemas/ids/{id}/subjects). */
export const getSchemaSubjects = (state: RegistryState, rawId: string, includeDeleted: boolean): Reply => {
  const usages = getSchemaUsages(state, rawId, includeDeleted);
  return usages.ok ? ok([...new Set(usages.value.map((u) => u.subject))]) : usages;
};

/** POST /subjects/{s}: is this schema registered under the subject, and as which version? */
export const lookupSchema = (state: RegistryState, subject: string, body: unknown, includeDeleted: boolean): Reply => {
  if (!subjectExists(state, subject, includeDeleted)) return err(registryErrors.subjectNotFound(subject));
  const parsed = parseSchemaRequest(body);
  if (!parsed.ok) return parsed;
  const found = versionsOf(state, subject, includeDeleted).find(
    (v) => state.schemas.get(v.id)?.canonical === parsed.value.canonical,
  );
  return found === undefined ? err(registryErrors.schemaNotFound()) : ok(versionBody(found));
};

/** The earlier versions a candidate is checked against, as avsc types (unparseable ones are skipped). */
export const earlierSchemas = (versions: readonly SchemaVersion[]): EarlierSchema[] =>
  versions.flatMap((v) => {
    if (v.schemaType !== 'AVRO') return [];
    const parsed = parseAvroSchema(v.schema);
    return parsed.ok ? [{ version: v.version, type: parsed.value.type }] : [];
  });

/**
 * POST /compatibility/subjects/{s}/versions/{v}: against that one version;
 * POST /compatibility/subjects/{s}/versions (rawVersion undefined): against the versions the level names.
 */
export const testCompatibility = (
  state: RegistryState,
  subject: string,
  rawVersion: string | undefined,
  body: unknown,
  verbose: boolean,
): Reply => {
  const ref = rawVersion === undefined ? undefined : parseVersion(rawVersion);
  if (ref !== undefined && !ref.ok) return ref;
  const parsed = parseSchemaRequest(body);
  if (!parsed.ok) return parsed;
  let against: SchemaVersion[];
  if (ref === undefined) {
    against = versionsOf(state, subject);
  } else {
    const found = findVersion(state, subject, ref.value, false);
    if (!found.ok) return found;
    against = [found.value];
  }
  const messages = checkCompatibility(effectiveLevel(state, subject), parsed.value.type, earlierSchemas(against));
  return ok({ is_compatible: messages.length === 0, ...(verbose ? { messages } : {}) });
};

export const getGlobalConfig = (state: RegistryState): Reply => ok({ compatibilityLevel: effectiveLevel(state, null) });

export const getSubjectConfig = (state: RegistryState, subject: string, defaultToGlobal: boolean): Reply => {
  const own = state.subjectLevels.get(subject);
  if (own !== undefined) return ok({ compatibilityLevel: own });
  return defaultToGlobal ? getGlobalConfig(state) : err(registryErrors.subjectConfigNotFound(subject));
};
