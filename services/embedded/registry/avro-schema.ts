/**
 * Avro schema parsing and the canonical form used to decide "same schema".
 *
 * Two registrations are the same schema when they mean the same thing to a reader: whitespace,
 * object key order and how names are qualified (namespace attribute vs dotted name vs inherited
 * namespace) do not matter; everything else does (docs, defaults, order, aliases, logical types,
 * custom properties), as in Confluent's comparison of canonical strings. Avro's Parsing Canonical
 * Form would be too coarse: it drops defaults, and two schemas differing only by a default resolve
 * differently, so they must not share an id.
 */
import avsc from 'avsc';
import { err, ok, type Result } from '../../platform/result.ts';

export type AvroType = avsc.Type;

export interface ParsedAvroSchema {
  readonly type: AvroType;
  /** The schema as compact JSON text, as it is stored and served. */
  readonly text: string;
  /** Key for identity: equal canonical strings = same schema = same global id. */
  readonly canonical: string;
}

const PRIMITIVES: ReadonlySet<string> = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);
const NAMED: ReadonlySet<string> = new Set(['record', 'error', 'enum', 'fixed']);

/** Parses and validates an Avro schema given as JSON text (Confluent's `schema` field). */
export const parseAvroSchema = (text: string): Result<ParsedAvroSchema, string> => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return err(`not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  let type: AvroType;
  try {
    // avsc's default registry is per call, so names from one schema never leak into another.
    type = avsc.Type.forSchema(json as avsc.Schema, { noAnonymousTypes: true });
  } catch (e) {
    return err(e instanceof Error ? e.message : String(e));
  }
  return ok({ type, text: JSON.stringify(json), canonical: canonicalJson(json) });
};

/** Canonical string of already valid schema JSON; see the module comment for what it ignores. */
export const canonicalJson = (json: unknown): string => stableStringify(normalize(json, ''));

/** The canonical key of a stored schema; schemas this registry cannot parse compare by text. */
export const canonicalOfStored = (schemaType: string, text: string): string => {
  if (schemaType === 'AVRO') {
    try {
      return canonicalJson(JSON.parse(text));
    } catch {
      // fall through: compare by text
    }
  }
  return `${schemaType}:${text}`;
};

const fullName = (name: string, namespace: string): string =>
  name.includes('.') || namespace === '' ? name : `${namespace}.${name}`;

const namespaceOf = (full: string): string => {
  const i = full.lastIndexOf('.');
  return i < 0 ? '' : full.slice(0, i);
};

const normalize = (json: unknown, namespace: string): unknown => {
  if (typeof json === 'string') return PRIMITIVES.has(json) ? json : fullName(json, namespace);
  if (Array.isArray(json)) return json.map((branch) => normalize(branch, namespace));
  if (typeof json !== 'object' || json === null) return json;
  const obj = json as Readonly<Record<string, unknown>>;
  const type = obj['type'];
  const rest: Record<string, unknown> = { ...obj };
  if (typeof type === 'string' && PRIMITIVES.has(type) && Object.keys(obj).length === 1) return type;
  if (typeof type === 'string' && NAMED.has(type) && typeof obj['name'] === 'string') {
    const ns = typeof obj['namespace'] === 'string' ? obj['namespace'] : namespace;
    const name = fullName(obj['name'], ns);
    delete rest['namespace'];
    rest['name'] = name;
    const inner = namespaceOf(name);
    if (Array.isArray(obj['fields'])) {
      rest['fields'] = obj['fields'].map((f: unknown) =>
        typeof f === 'object' && f !== null ? { ...f, type: normalize((f as Record<string, unknown>)['type'], inner) } : f,
      );
    }
    return rest;
  }
  if (type === 'array') rest['items'] = normalize(obj['items'], namespace);
  else if (type === 'map') rest['values'] = normalize(obj['values'], namespace);
  else rest['type'] = normalize(type, namespace);
  return rest;
};

const stableStringify = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
};
