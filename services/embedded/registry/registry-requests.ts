/**
 * Validation of what clients send: version ids, schema bodies, config bodies. Each returns a
 * Result whose error is already the Confluent error to answer with.
 */
import { err, ok, type Result } from '../../platform/result.ts';
import { parseAvroSchema, type ParsedAvroSchema } from './avro-schema.ts';
import { DEFAULT_COMPATIBILITY_LEVEL, parseCompatibilityLevel, type CompatibilityLevel } from './compatibility-levels.ts';
import { registryErrors, type RegistryError } from './registry-errors.ts';
import type { RegistryState } from './registry-state.ts';

/** A version as a path segment: 1..2^31-1, or `latest` (also spelled -1, as Confluent accepts). */
export type VersionRef = number | 'latest';

const MAX_VERSION = 2 ** 31 - 1;

export const parseVersion = (raw: string): Result<VersionRef, RegistryError> => {
  if (raw.toLowerCase() === 'latest' || raw === '-1') return ok('latest');
  if (!/^\d{1,10}$/.test(raw)) return err(registryErrors.invalidVersion(raw));
  const n = Number(raw);
  return n >= 1 && n <= MAX_VERSION ? ok(n) : err(registryErrors.invalidVersion(raw));
};

const isObject = (v: unknown): v is Readonly<Record<string, unknown>> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The body of register, lookup and compatibility requests: `{"schema": "...", "schemaType"?, "references"?}`. */
export const parseSchemaRequest = (body: unknown): Result<ParsedAvroSchema, RegistryError> => {
  if (!isObject(body)) return err(registryErrors.invalidRequest('The request body must be a JSON object with a "schema" field'));
  const { schema, schemaType, references } = body;
  if (schemaType !== undefined && schemaType !== null && (typeof schemaType !== 'string' || schemaType.toUpperCase() !== 'AVRO')) {
    return err(
      registryErrors.invalidSchema(`schemaType ${JSON.stringify(schemaType)} is not supported: this registry supports AVRO only`),
    );
  }
  if (references !== undefined && references !== null && (!Array.isArray(references) || references.length > 0)) {
    return err(registryErrors.invalidSchema('schema references are not supported by this registry'));
  }
  if (schema === undefined || schema === null || schema === '') return err(registryErrors.emptySchema());
  if (typeof schema !== 'string') return err(registryErrors.invalidSchema('the "schema" field must be a string holding the schema as JSON'));
  const parsed = parseAvroSchema(schema);
  return parsed.ok ? parsed : err(registryErrors.invalidSchema(parsed.error));
};

/** The body of PUT /config: `{"compatibility": "BACKWARD"}`. */
export const parseConfigRequest = (body: unknown): Result<CompatibilityLevel, RegistryError> => {
  if (!isObject(body)) return err(registryErrors.invalidRequest('The request body must be a JSON object with a "compatibility" field'));
  const raw = body['compatibility'] ?? body['compatibilityLevel'];
  const level = parseCompatibilityLevel(raw);
  return level === undefined ? err(registryErrors.invalidCompatibilityLevel(String(raw))) : ok(level);
};

/** The level that applies to a subject: its own, else the global one, else the default. */
export const effectiveLevel = (state: RegistryState, subject: string | null): CompatibilityLevel =>
  (subject === null ? undefined : state.subjectLevels.get(subject)) ?? state.globalLevel ?? DEFAULT_COMPATIBILITY_LEVEL;
