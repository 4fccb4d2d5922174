import avsc from 'avsc';
import { describe, expect, it } from 'vitest';
import { checkCompatibility, type EarlierSchema } from '../../../../services/embedded/registry/compatibility.ts';
import type { CompatibilityLevel } from '../../../../services/embedded/registry/compatibility-levels.ts';

type Field = { name: string; type: unknown; default?: unknown };
const record = (fields: Field[], name = 'Reading') => avsc.Type.forSchema({ type: 'record', name, fields } as avsc.Schema);
const v = (version: number, fields: Field[]): EarlierSchema => ({ version, type: record(fields) });

const v1: Field[] = [{ name: 'siteId', type: 'string' }];
const v2: Field[] = [...v1, { name: 'socPct', type: 'double', default: 0 }];

const check = (level: CompatibilityLevel, candidate: Field[], earlier: EarlierSchema[]) =>
  checkCompatibility(level, record(candidate), earlier);

describe('checkCompatibility', () => {
  it('BACKWARD refuses an added field without default and names the field', () => {
    const messages = check('BACKWARD', [...v1, { name: 'solarKw', type: 'double' }], [v(1, v1)]);
    expect(messages.length).toBeGreaterThan(0);
    expect(messages[0]).toContain("READER_FIELD_MISSING_DEFAULT_VALUE");
    expect(messages[0]).toContain("'solarKw'");
    expect(messages).toContain('{oldSchemaVersion: 1}');
  });

  it('BACKWARD accepts an added field with a default', () => {
    expect(check('BACKWARD', v2, [v(1, v1)])).toEqual([]);
  });

  it('BACKWARD accepts a removed field; FORWARD refuses removing a field without default', () => {
    const removed: Field[] = [{ name: 'siteId', type: 'string' }];
    const old: Field[] = [...v1, { name: 'loadKw', type: 'double' }];
    expect(check('BACKWARD', removed, [v(1, old)])).toEqual([]);
    const forward = check('FORWARD', removed, [v(1, old)]);
    expect(forward.join(' ')).toContain("'loadKw'");
    expect(forward[0]).toContain('in the old schema has no default value');
  });

  it('names a field whose type changed incompatibly', () => {
    const messages = check('BACKWARD', [{ name: 'siteId', type: 'int' }], [v(1, v1)]);
    expect(messages[0]).toContain('TYPE_MISMATCH');
    expect(messages[0]).toContain("field 'siteId'");
  });

  it('accepts type promotion int -> long backward but not forward', () => {
    const old: Field[] = [{ name: 'n', type: 'int' }];
    const promoted: Field[] = [{ name: 'n', type: 'long' }];
    expect(check('BACKWARD', promoted, [v(1, old)])).toEqual([]);
    expect(check('FORWARD', promoted, [v(1, old)]).join(' ')).toContain("'n'");
  });

  it('names nested fields by their path', () => {
    const nested = (fields: Field[]): Field[] => [{ name: 'battery', type: { type: 'record', name: 'Battery', fields } }];
    const messages = check('BACKWARD', nested([{ name: 'a', type: 'int' }, { name: 'capKwh', type: 'double' }]), [
      v(1, nested([{ name: 'a', type: 'int' }])),
    ]);
    expect(messages[0]).toContain("'battery.capKwh'");
  });

  it('reports enum symbols the reader lacks', () => {
    const e = (symbols: string[]): Field[] => [{ name: 'mode', type: { type: 'enum', name: 'Mode', symbols } }];
    const messages = check('BACKWARD', e(['IDLE']), [v(1, e(['IDLE', 'CHARGE']))]);
    expect(messages[0]).toContain('MISSING_ENUM_SYMBOLS');
    expect(messages[0]).toContain('CHARGE');
  });

  it('reports a union branch the reader lacks', () => {
    const messages = check('BACKWARD', [{ name: 'x', type: ['null', 'int'] }], [v(1, [{ name: 'x', type: ['null', 'string'] }])]);
    expect(messages.join(' ')).toContain("'x'");
  });

  it('FULL needs both directions', () => {
    const noDefault: Field[] = [...v1, { name: 'b', type: 'int' }];
    expect(check('FULL', v2, [v(1, v1)])).toEqual([]);
    expect(check('FULL', noDefault, [v(1, v1)]).join(' ')).toContain("'b'");
    expect(check('FORWARD', noDefault, [v(1, v1)])).toEqual([]);
  });

  it('non-transitive levels check only the latest version, transitive ones all', () => {
    // v1 needs `old`; v2 gave it a default; the candidate drops it: v2 can read candidate data,
    // v1 cannot (it has no default for `old`).
    const a: Field[] = [...v1, { name: 'old', type: 'int' }];
    const b: Field[] = [...v1, { name: 'old', type: 'int', default: 0 }];
    const c: Field[] = v1;
    expect(check('FORWARD', c, [v(1, a), v(2, b)])).toEqual([]);
    const transitive = check('FORWARD_TRANSITIVE', c, [v(1, a), v(2, b)]);
    expect(transitive.join(' ')).toContain("'old'");
    expect(transitive).toContain('{oldSchemaVersion: 1}');
    expect(transitive).not.toContain('{oldSchemaVersion: 2}');
  });

  it('NONE accepts anything; no earlier versions means compatible', () => {
    expect(check('NONE', [{ name: 'x', type: 'int' }], [v(1, v1)])).toEqual([]);
    expect(check('FULL_TRANSITIVE', [{ name: 'x', type: 'int' }], [])).toEqual([]);
  });

  it('refuses a renamed record (name mismatch) unless aliased', () => {
    const renamed = avsc.Type.forSchema({ type: 'record', name: 'Other', fields: v1 } as avsc.Schema);
    const messages = checkCompatibility('BACKWARD', renamed, [v(1, v1)]);
    expect(messages[0]).toContain('NAME_MISMATCH');
    const aliased = avsc.Type.forSchema({ type: 'record', name: 'Other', aliases: ['Reading'], fields: v1 } as avsc.Schema);
    expect(checkCompatibility('BACKWARD', aliased, [v(1, v1)])).toEqual([]);
  });
});
