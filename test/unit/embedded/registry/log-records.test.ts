import { describe, expect, it } from 'vitest';
import {
  configRecord,
  decodeLogRecord,
  deleteSubjectRecord,
  schemaRecord,
  schemaTombstone,
} from '../../../../services/embedded/registry/log-records.ts';

describe('_schemas record format', () => {
  it('writes SCHEMA records exactly as Confluent does', () => {
    const r = schemaRecord({ subject: 's-value', version: 2, id: 7, schema: '"string"', schemaType: 'AVRO', deleted: false });
    expect(r.key).toBe('{"keytype":"SCHEMA","subject":"s-value","version":2,"magic":1}');
    expect(r.value).toBe('{"subject":"s-value","version":2,"id":7,"schema":"\\"string\\"","deleted":false}');
    expect(schemaTombstone('s-value', 2)).toEqual({ key: r.key, value: null });
  });

  it('writes CONFIG and DELETE_SUBJECT records exactly as Confluent does', () => {
    expect(configRecord(null, 'FULL')).toEqual({ key: '{"keytype":"CONFIG","subject":null,"magic":0}', value: '{"compatibilityLevel":"FULL"}' });
    expect(configRecord('s', null)).toEqual({ key: '{"keytype":"CONFIG","subject":"s","magic":0}', value: null });
    expect(deleteSubjectRecord('s', 3)).toEqual({
      key: '{"keytype":"DELETE_SUBJECT","subject":"s","magic":0}',
      value: '{"subject":"s","version":3}',
    });
  });

  it('round-trips every kind of record', () => {
    const schema = schemaRecord({ subject: 's', version: 1, id: 1, schema: '"int"', schemaType: 'AVRO', deleted: true });
    expect(decodeLogRecord(schema)).toEqual({
      ok: true,
      value: { kind: 'schema', subject: 's', version: 1, value: { subject: 's', version: 1, id: 1, schema: '"int"', schemaType: 'AVRO', deleted: true } },
    });
    expect(decodeLogRecord(schemaTombstone('s', 1))).toEqual({ ok: true, value: { kind: 'schema', subject: 's', version: 1, value: null } });
    expect(decodeLogRecord(configRecord(null, 'NONE'))).toEqual({ ok: true, value: { kind: 'config', subject: null, level: 'NONE' } });
    expect(decodeLogRecord(deleteSubjectRecord('s', 4))).toEqual({ ok: true, value: { kind: 'delete-subject', subject: 's', version: 4 } });
  });

  it('reads records written by Confluent itself: NOOP, MODE, other schema types', () => {
    expect(decodeLogRecord({ key: '{"keytype":"NOOP","magic":0}', value: null })).toEqual({ ok: true, value: { kind: 'ignored', keytype: 'NOOP' } });
    expect(decodeLogRecord({ key: '{"keytype":"MODE","subject":null,"magic":0}', value: '{"mode":"READWRITE"}' }).ok).toBe(true);
    const proto = decodeLogRecord({
      key: '{"magic":1,"keytype":"SCHEMA","subject":"p","version":1}',
      value: '{"subject":"p","version":1,"id":3,"schemaType":"PROTOBUF","schema":"syntax = \\"proto3\\";"}',
    });
    expect(proto.ok && proto.value.kind === 'schema' && proto.value.value?.schemaType).toBe('PROTOBUF');
  });

  it.each([
    ['key not JSON', { key: 'nope', value: null }],
    ['no keytype', { key: '{"subject":"s"}', value: null }],
    ['SCHEMA without version', { key: '{"keytype":"SCHEMA","subject":"s","magic":1}', value: null }],
    ['SCHEMA value without id', { key: '{"keytype":"SCHEMA","subject":"s","version":1,"magic":1}', value: '{"schema":"\\"int\\""}' }],
    ['unknown level', { key: '{"keytype":"CONFIG","subject":null,"magic":0}', value: '{"compatibilityLevel":"SIDEWAYS"}' }],
  ])('refuses %s with a reason', (_what, record) => {
    const decoded = decodeLogRecord(record);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.error.length).toBeGreaterThan(5);
  });
});
