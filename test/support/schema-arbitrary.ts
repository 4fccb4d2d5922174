/**
 * fast-check arbitraries from the JSON Schemas of our OpenAPI files (the subset TypeBox emits:
 * object, array, string, number, integer, boolean, null, const, enum, anyOf, $ref to
 * components). `valid` follows the schema; `anything` is any JSON, for the requests a schema
 * must refuse. Used by the contract tests: requests generated from docs/openapi/*.json.
 */
import fc from 'fast-check';

export type JsonSchema = Record<string, unknown>;

const resolve = (s: JsonSchema, components: Record<string, JsonSchema>): JsonSchema => {
  const ref = s['$ref'];
  if (typeof ref !== 'string') return s;
  const name = ref.replace('#/components/schemas/', '').replace(/#$/, '');
  return resolve(components[name] ?? {}, components);
};

export const anything = (): fc.Arbitrary<unknown> => fc.jsonValue({ maxDepth: 3 });

export const valid = (schema: JsonSchema, components: Record<string, JsonSchema> = {}): fc.Arbitrary<unknown> => {
  const s = resolve(schema, components);
  if ('const' in s) return fc.constant(s['const']);
  if (Array.isArray(s['enum'])) return fc.constantFrom(...(s['enum'] as unknown[]));
  const anyOf = (s['anyOf'] ?? s['oneOf']) as JsonSchema[] | undefined;
  if (Array.isArray(anyOf)) return fc.oneof(...anyOf.map((x) => valid(x, components)));
  const num = (k: string): number | undefined => (typeof s[k] === 'number' ? (s[k]) : undefined);
  switch (s['type']) {
    case 'string': {
      const pattern = s['pattern'];
      if (typeof pattern === 'string') return fc.stringMatching(new RegExp(pattern));
      return fc.string({ minLength: num('minLength') ?? 0, maxLength: Math.min(num('maxLength') ?? 40, 40) });
    }
    case 'integer':
      return fc.integer({ min: num('minimum') ?? -1_000_000, max: num('maximum') ?? 1_000_000 });
    case 'number': {
      const min = num('minimum') ?? (num('exclusiveMinimum') === undefined ? -1e6 : (num('exclusiveMinimum') ?? 0) + 1e-6);
      return fc.double({ min, max: num('maximum') ?? 1e6, noNaN: true, noDefaultInfinity: true });
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(valid((s['items'] as JsonSchema | undefined) ?? {}, components), { minLength: num('minItems') ?? 0, maxLength: Math.min(num('maxItems') ?? 4, 4) });
    case 'object': {
      const props = (s['properties'] ?? {}) as Record<string, JsonSchema>;
      const required = (s['required'] ?? []) as string[];
      const record = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, valid(v, components)]));
      return fc.record(record, { requiredKeys: required.filter((k) => k in props) });
    }
    default:
      return anything();
  }
};
