import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalOfStored, parseAvroSchema } from '../../../../services/embedded/registry/avro-schema.ts';

const canonical = (schema: unknown): string => {
  const parsed = parseAvroSchema(JSON.stringify(schema));
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value.canonical;
};

describe('parseAvroSchema', () => {
  it('accepts a valid record and stores it as compact JSON', () => {
    const parsed = parseAvroSchema('{ "type": "record", "name": "R",\n "fields": [ {"name": "a", "type": "int"} ] }');
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.value.text).toBe('{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}');
  });

  it.each([
    ['not JSON', '{"type": "record",'],
    ['unknown type', '{"type": "recrd", "name": "R"}'],
    ['undefined name', '"NoSuchType"'],
    ['bad default', '{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"x"}]}'],
    ['anonymous record', '{"type":"record","fields":[]}'],
  ])('refuses %s', (_what, text) => {
    expect(parseAvroSchema(text).ok).toBe(false);
  });
});

describe('canonical form', () => {
  const base = { type: 'record', name: 'R', namespace: 'a.b', fields: [{ name: 'x', type: 'int' }] };

  it('ignores key order, whitespace and how names are qualified', () => {
    const reordered = { fields: [{ type: 'int', name: 'x' }], name: 'R', namespace: 'a.b', type: 'record' };
    const dotted = { type: 'record', name: 'a.b.R', fields: [{ name: 'x', type: { type: 'int' } }] };
    expect(canonical(reordered)).toBe(canonical(base));
    expect(canonical(dotted)).toBe(canonical(base));
  });

  it('resolves nested names against the enclosing namespace', () => {
    const inner = (ref: unknown) => ({
      type: 'record',
      name: 'R',
      namespace: 'n',
      fields: [
        { name: 'e', type: { type: 'enum', name: 'E', symbols: ['A'] } },
        { name: 'f', type: ref },
      ],
    });
    expect(canonical(inner('E'))).toBe(canonical(inner('n.E')));
  });

  it('keeps what changes meaning: defaults, logical types, field order', () => {
    const withDefault = { ...base, fields: [{ name: 'x', type: 'int', default: 1 }] };
    const logical = { ...base, fields: [{ name: 'x', type: { type: 'int', logicalType: 'date' } }] };
    const twoFields = (a: string, b: string) => ({ ...base, fields: [{ name: a, type: 'int' }, { name: b, type: 'int' }] });
    expect(canonical(withDefault)).not.toBe(canonical(base));
    expect(canonical(logical)).not.toBe(canonical(base));
    expect(canonical(twoFields('p', 'q'))).not.toBe(canonical(twoFields('q', 'p')));
  });

  it('compares stored schemas it cannot parse by type and text', () => {
    expect(canonicalOfStored('PROTOBUF', 'syntax = "proto3";')).toBe('PROTOBUF:syntax = "proto3";');
    expect(canonicalOfStored('AVRO', JSON.stringify(base))).toBe(canonical(base));
  });
});

describe('canonical form property', () => {
  /** Rebuilds every object with its keys in a shuffled order. */
  const shuffleKeys = (value: unknown, rnd: () => number): unknown => {
    if (Array.isArray(value)) return value.map((v) => shuffleKeys(v, rnd));
    if (typeof value !== 'object' || value === null) return value;
    const entries = Object.entries(value).sort(() => rnd() - 0.5);
    return Object.fromEntries(entries.map(([k, v]) => [k, shuffleKeys(v, rnd)]));
  };
  const fieldArb = fc.record({
    name: fc.stringMatching(/^[a-z][a-zA-Z0-9]{0,8}$/),
    type: fc.constantFrom<unknown>('int', 'string', ['null', 'double'], { type: 'array', items: 'long' }),
    doc: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
  });

  it('is invariant under key order and whitespace, and tells different field lists apart', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fieldArb, { selector: (f) => f.name, minLength: 1, maxLength: 6 }), fc.integer(), (fields, seed) => {
        const schema = { type: 'record', name: 'P', namespace: 'x.y', fields };
        let s = seed;
        const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
        expect(canonical(shuffleKeys(schema, rnd))).toBe(canonical(schema));
        const fewer = { ...schema, fields: fields.slice(1) };
        expect(canonical(fewer)).not.toBe(canonical(schema));
      }),
      { numRuns: 200 },
    );
  });
});
