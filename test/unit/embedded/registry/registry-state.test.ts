import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  deleteConfig,
  deleteSubject,
  deleteVersion,
  registerSchema,
  setConfig,
  type Decide,
} from '../../../../services/embedded/registry/registry-commands.ts';
import { applyRecord, emptyState, replay, subjectNames, versionsOf, type RegistryState } from '../../../../services/embedded/registry/registry-state.ts';
import type { SchemaLogRecord } from '../../../../services/embedded/registry/schema-store.ts';

/** Runs a decision the way the server does: append, then apply. */
const run = (s: { state: RegistryState; log: SchemaLogRecord[] }, decide: Decide) => {
  const d = decide(s.state);
  if (d.ok) {
    for (const r of d.value.records) {
      s.log.push(r);
      s.state = applyRecord(s.state, r).state;
    }
  }
  return d;
};
const fresh = () => ({ state: emptyState, log: [] as SchemaLogRecord[] });

const schema = (fields: string[]) =>
  JSON.stringify({ type: 'record', name: 'Site', fields: fields.map((name) => ({ name, type: 'int', default: 0 })) });
const body = (fields: string[]) => ({ schema: schema(fields) });

describe('registry state machine', () => {
  it('gives the same schema the same id and version when registered twice', () => {
    const s = fresh();
    const first = run(s, registerSchema('a', body(['x'])));
    const second = run(s, registerSchema('a', { schema: `  ${schema(['x'])}  ` }));
    expect(first).toEqual({ ok: true, value: { records: expect.any(Array) as unknown, body: { id: 1 } } });
    expect(second.ok && second.value).toEqual({ records: [], body: { id: 1 } });
    expect(versionsOf(s.state, 'a').map((v) => v.version)).toEqual([1]);
  });

  it('gives the same schema under another subject the same global id, new schemas new ids', () => {
    const s = fresh();
    run(s, registerSchema('a', body(['x'])));
    run(s, registerSchema('a', body(['x', 'y'])));
    const other = run(s, registerSchema('b', body(['x'])));
    expect(other.ok && other.value.body).toEqual({ id: 1 });
    expect(versionsOf(s.state, 'a').map((v) => [v.version, v.id])).toEqual([[1, 1], [2, 2]]);
    expect(versionsOf(s.state, 'b').map((v) => [v.version, v.id])).toEqual([[1, 1]]);
  });

  it('refuses an incompatible schema without writing anything', () => {
    const s = fresh();
    run(s, registerSchema('a', body(['x'])));
    const bad = run(s, registerSchema('a', { schema: JSON.stringify({ type: 'record', name: 'Site', fields: [{ name: 'z', type: 'int' }] }) }));
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.error.errorCode).toBe(409);
      expect(bad.error.message).toContain("'z'");
    }
    expect(s.log).toHaveLength(1);
  });

  it('soft deletes a version, keeps its id resolvable, continues version numbers', () => {
    const s = fresh();
    run(s, registerSchema('a', body(['x'])));
    run(s, registerSchema('a', body(['x', 'y'])));
    expect(run(s, deleteVersion('a', '2', false)).ok).toBe(true);
    expect(versionsOf(s.state, 'a').map((v) => v.version)).toEqual([1]);
    expect(s.state.schemas.has(2)).toBe(true);
    const again = run(s, registerSchema('a', body(['x', 'y'])));
    expect(again.ok && again.value.body).toEqual({ id: 2 });
    expect(versionsOf(s.state, 'a').map((v) => v.version)).toEqual([1, 3]);
  });

  it('needs a soft delete before a permanent one, then forgets the version', () => {
    const s = fresh();
    run(s, registerSchema('a', body(['x'])));
    const early = run(s, deleteSubject('a', true));
    expect(!early.ok && early.error.errorCode).toBe(40405);
    expect(run(s, deleteSubject('a', false)).ok).toBe(true);
    expect(subjectNames(s.state)).toEqual([]);
    expect(subjectNames(s.state, true)).toEqual(['a']);
    const twice = run(s, deleteSubject('a', false));
    expect(!twice.ok && twice.error.errorCode).toBe(40404);
    expect(run(s, deleteSubject('a', true)).ok).toBe(true);
    expect(subjectNames(s.state, true)).toEqual([]);
    expect(s.state.schemas.size).toBe(0);
    // ids are never reused, even after a permanent delete
    const next = run(s, registerSchema('a', body(['q'])));
    expect(next.ok && next.value.body).toEqual({ id: 2 });
  });

  it('keeps config global and per subject; deleting a subject drops its config', () => {
    const s = fresh();
    run(s, setConfig(null, { compatibility: 'full' }));
    run(s, registerSchema('a', body(['x'])));
    run(s, setConfig('a', { compatibility: 'NONE' }));
    expect(s.state.globalLevel).toBe('FULL');
    expect(s.state.subjectLevels.get('a')).toBe('NONE');
    const bad = run(s, setConfig('a', { compatibility: 'SIDEWAYS' }));
    expect(!bad.ok && bad.error.errorCode).toBe(42203);
    run(s, deleteSubject('a', false));
    expect(s.state.subjectLevels.has('a')).toBe(false);
    run(s, deleteConfig(null));
    expect(s.state.globalLevel).toBeUndefined();
  });

  it('skips unreadable records on replay and says why', () => {
    const s = fresh();
    run(s, registerSchema('a', body(['x'])));
    const { state, problems } = replay([{ key: 'garbage', value: null }, ...s.log]);
    expect(problems).toHaveLength(1);
    expect(subjectNames(state)).toEqual(['a']);
  });
});

// ---- property: replaying the log rebuilds exactly the state, ids included ----------------

const subjects = ['s1', 's2', 's3'];
const fieldSets = [['a'], ['a', 'b'], ['a', 'b', 'c'], ['b'], ['c', 'd']];
const levels = ['NONE', 'BACKWARD', 'FORWARD_TRANSITIVE', 'FULL', 'GARBAGE'];

const command = fc.oneof(
  fc.record({ op: fc.constant('register' as const), subject: fc.constantFrom(...subjects), fields: fc.constantFrom(...fieldSets), strict: fc.boolean() }),
  fc.record({ op: fc.constant('deleteVersion' as const), subject: fc.constantFrom(...subjects), version: fc.constantFrom('1', '2', '3', 'latest'), permanent: fc.boolean() }),
  fc.record({ op: fc.constant('deleteSubject' as const), subject: fc.constantFrom(...subjects), permanent: fc.boolean() }),
  fc.record({ op: fc.constant('config' as const), subject: fc.constantFrom(null, ...subjects), level: fc.constantFrom(...levels) }),
);
type Command = typeof command extends fc.Arbitrary<infer C> ? C : never;

const toDecide = (c: Command): Decide => {
  switch (c.op) {
    case 'register':
      // strict: fields without defaults, so compatibility refusals happen too
      return registerSchema(c.subject, {
        schema: JSON.stringify({ type: 'record', name: 'R', fields: c.fields.map((name) => (c.strict ? { name, type: 'int' } : { name, type: 'int', default: 0 })) }),
      });
    case 'deleteVersion':
      return deleteVersion(c.subject, c.version, c.permanent);
    case 'deleteSubject':
      return deleteSubject(c.subject, c.permanent);
    case 'config':
      return setConfig(c.subject, { compatibility: c.level });
  }
};

describe('replay property', () => {
  it('replaying the log gives the identical state, and ids identify schemas', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 40 }), (commands) => {
        const s = fresh();
        for (const c of commands) run(s, toDecide(c));
        const replayed = replay(s.log);
        expect(replayed.problems).toEqual([]);
        expect(replayed.state).toEqual(s.state);
        // a canonical schema has one id, an id one schema
        const byId = new Map<number, string>();
        for (const subject of subjectNames(s.state, true)) {
          for (const v of versionsOf(s.state, subject, true)) {
            const canonical = s.state.schemas.get(v.id)?.canonical;
            expect(canonical).toBeDefined();
            if (byId.has(v.id)) expect(byId.get(v.id)).toBe(canonical);
            byId.set(v.id, canonical ?? '');
          }
        }
        expect(new Set(byId.values()).size).toBe(byId.size);
        // versions in a subject are unique and ascending in log order
        for (const subject of subjectNames(s.state, true)) {
          const vs = versionsOf(s.state, subject, true).map((v) => v.version);
          expect(new Set(vs).size).toBe(vs.length);
        }
      }),
      { numRuns: 200 },
    );
  });
});
