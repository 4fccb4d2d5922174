/**
 * The compatibility gate: every topic's schema history is kept in schemas/history/<topic>/vN.avsc
 * with data written by each version in schemas/fixtures/<topic>/vN.json. This fails when the
 * current schema changed without a new history version, when a change is not backward-transitive
 * compatible (today's reader must read every earlier writer), or when an old fixture no longer
 * decodes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { allTopics, readSchemaJson, schemaHistory, SCHEMAS_DIR, typeOf } from '../../../services/platform/schemas.ts';

const canonical = (s: avro.Schema): string => JSON.stringify(typeOf(s).schema({ exportAttrs: true }));

/** Null when reader can read writer's data, else the resolver's reason. */
export const cannotRead = (reader: avro.Schema, writer: avro.Schema): string | null => {
  try {
    typeOf(reader).createResolver(typeOf(writer));
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
};

describe.each(allTopics())('schema of %s', (topic) => {
  const current = readSchemaJson(topic);
  const history = schemaHistory(topic);

  it('has a history whose newest version is the current schema', () => {
    expect(history.length).toBeGreaterThan(0);
    const newest = history.at(-1);
    expect(newest?.version).toBe(history.length);
    expect(canonical(newest?.schema ?? 'null'), `schemas/${topic}.avsc changed: add it as schemas/history/${topic}/v${history.length + 1}.avsc with a fixture`).toBe(canonical(current));
  });

  it('is backward-transitive compatible: the current reader reads every earlier version', () => {
    for (const { version, schema } of history) {
      expect(cannotRead(current, schema), `${topic} v${version}`).toBeNull();
    }
  });

  it('decodes every old fixture into the current shape', () => {
    for (const { version, schema } of history) {
      const file = join(SCHEMAS_DIR, 'fixtures', topic, `v${version}.json`);
      expect(existsSync(file), `missing fixture ${file}`).toBe(true);
      const fixture = JSON.parse(readFileSync(file, 'utf8')) as { avroHex: string };
      const writer = typeOf(schema);
      const reader = typeOf(current);
      const value: unknown = reader.fromBuffer(Buffer.from(fixture.avroHex, 'hex'), reader.createResolver(writer));
      expect(reader.isValid(value)).toBe(true);
    }
  });

  it('documents every field with a doc string', () => {
    const missing: string[] = [];
    const walk = (t: unknown, path: string): void => {
      if (Array.isArray(t)) return t.forEach((u) => walk(u, path));
      if (typeof t !== 'object' || t === null) return;
      const o = t as { type?: unknown; fields?: Array<{ name: string; doc?: string; type: unknown }>; items?: unknown };
      for (const f of o.fields ?? []) {
        if (!f.doc) missing.push(`${path}.${f.name}`);
        walk(f.type, `${path}.${f.name}`);
      }
      if (o.items !== undefined) walk(o.items, path);
    };
    walk(current, topic);
    expect(missing).toEqual([]);
  });
});

describe('the gate itself (negative controls)', () => {
  it('catches a new field without a default', () => {
    const old = { type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] } as avro.Schema;
    const next = { type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }, { name: 'socPct', type: 'double' }] } as avro.Schema;
    expect(cannotRead(next, old)).toMatch(/socPct/);
  });

  it('catches a type change that cannot be promoted', () => {
    const old = { type: 'record', name: 'R', fields: [{ name: 'a', type: 'string' }] } as avro.Schema;
    const next = { type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] } as avro.Schema;
    expect(cannotRead(next, old)).not.toBeNull();
  });

  it('accepts a new field with a default', () => {
    const old = { type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] } as avro.Schema;
    const next = { type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }, { name: 'b', type: 'double', default: 0 }] } as avro.Schema;
    expect(cannotRead(next, old)).toBeNull();
  });
});
