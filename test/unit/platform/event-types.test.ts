// services/platform/events.ts claimed a test checked its types against the schemas; none did.
// This one reads the TypeScript types with the compiler and compares them with schemas/*.avsc,
// so a field added to one and not the other fails here, not in production.
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allTopics, readSchemaJson } from '../../../services/platform/schemas.ts';
import { checkerFor, topicValueTypes, typeDisagreements } from '../../support/avro-type-agreement.ts';

const EVENTS = resolve('services/platform/events.ts');

describe('event types agree with the Avro schemas', () => {
  const { checker, source } = checkerFor(EVENTS);
  const types = topicValueTypes(checker, source, 'TopicValues');

  it('every topic of the catalog has a TypeScript value type', () => {
    expect([...types.keys()].sort()).toEqual([...allTopics()].sort());
  });

  it.each([...allTopics()])('%s', (topic) => {
    const t = types.get(topic);
    expect(t, `no TopicValues entry for ${topic}`).toBeDefined();
    if (t === undefined) return;
    expect(typeDisagreements(checker, t, readSchemaJson(topic) as never, topic)).toEqual([]);
  });

  it('negative control: a planted disagreement is reported, with its path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'event-types-'));
    const file = join(dir, 'planted.ts');
    writeFileSync(file, [
      "export interface Planted { a: string; b: number | null; mode: 'X' | 'Y'; extra: boolean; list: number[]; opt?: string }",
      "export interface Values { 'p.v1': Planted }",
    ].join('\n'));
    const planted = checkerFor(file);
    const t = topicValueTypes(planted.checker, planted.source, 'Values').get('p.v1');
    expect(t).toBeDefined();
    if (t === undefined) return;
    const schema = {
      type: 'record', name: 'Planted', fields: [
        { name: 'a', type: 'long' },
        { name: 'b', type: 'long' },
        { name: 'mode', type: { type: 'enum', name: 'M', symbols: ['X', 'Z'] } },
        { name: 'list', type: { type: 'array', items: 'string' } },
        { name: 'opt', type: 'string' },
        { name: 'missing', type: 'string' },
      ],
    };
    expect(typeDisagreements(planted.checker, t, schema, 'p.v1')).toEqual([
      'p.v1.a: schema long, TypeScript string',
      'p.v1.b: schema long, TypeScript number | null',
      'p.v1.mode: enum symbols X|Z, TypeScript X|Y',
      'p.v1.list[]: schema string, TypeScript number',
      'p.v1.opt: optional in TypeScript but the schema has no default',
      'p.v1.missing: in the schema, missing from the TypeScript type',
      'p.v1.extra: in the TypeScript type, not in the schema',
    ]);
  });
});
