// Guards the codec's hot path: encodeSync writes the Confluent wire format with the id registered
// once per topic, and decode turns synchronous (no promise per record) once a (topic, schema id)
// pair is known, with the same results and error texts as the first, asynchronous decode. It
// replaced ingest's second decoder (record-decoder.ts), which kept its own cache.
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { describe, expect, it } from 'vitest';
import { createAvroCodec } from '../../../services/platform/avro-codec.ts';
import type { Telemetry } from '../../../services/platform/events.ts';
import { isPlatformError } from '../../../services/platform/errors.ts';
import { err, ok } from '../../../services/platform/result.ts';
import { readSchemaJson, schemaHistory, typeOf } from '../../../services/platform/schemas.ts';
import { TopicNames } from '../../../services/platform/topics.ts';

const telemetry = typeOf(readSchemaJson(TopicNames.telemetry));
const frame: Telemetry = {
  deviceId: 'dev-1', siteId: 'site-1', seq: 3, measuredAtMs: 1_700_000_000_000, receivedAtMs: 1_700_000_000_040, socPct: 55, batteryKw: -1.5,
  solarKw: 2, loadKw: 0.5, gridKw: 0.1, batteryTempC: 24, mode: 'SELF_CONSUMPTION', alarms: ['HIGH_TEMP'], activeCommandId: null,
};

/** A registry that knows id 7 as today's telemetry schema and counts its calls. */
const fakeRegistry = (schemas: Record<number, unknown> = { 7: telemetry }) => {
  const calls = { register: 0, getSchema: 0 };
  const registry = {
    register: () => {
      calls.register++;
      return Promise.resolve({ id: 7 });
    },
    getSchema: (id: number) => {
      calls.getSchema++;
      const s = schemas[id];
      return s === undefined ? Promise.reject(new Error(`Schema ${id} not found`)) : Promise.resolve(s);
    },
  } as unknown as SchemaRegistry;
  return { registry, calls };
};

describe('avro codec', () => {
  it('encodes synchronously after prepare, with the id resolved once, in the Confluent wire format', async () => {
    const { registry, calls } = fakeRegistry();
    const codec = createAvroCodec({ registry });
    expect(() => codec.encodeSync(TopicNames.telemetry, frame)).toThrow(/before prepare/);
    await codec.prepare([TopicNames.telemetry]);
    const a = codec.encodeSync(TopicNames.telemetry, frame);
    const b = codec.encodeSync(TopicNames.telemetry, { ...frame, seq: 4, alarms: ['x'.repeat(100_000)] });
    await codec.prepare([TopicNames.telemetry]);
    expect(calls.register).toBe(1);
    expect([...a.subarray(0, 5)]).toEqual([0, 0, 0, 0, 7]);
    expect(telemetry.fromBuffer(a.subarray(5))).toEqual(frame);
    // A value larger than the scratch buffer grows it instead of failing.
    expect((telemetry.fromBuffer(b.subarray(5)) as Telemetry).alarms[0]).toHaveLength(100_000);
    expect(await codec.encode(TopicNames.telemetry, frame)).toEqual(a);
  });

  it('refuses an invalid value naming the field', async () => {
    const codec = createAvroCodec({ registry: fakeRegistry().registry });
    await codec.prepare([TopicNames.telemetry]);
    let caught: unknown;
    try {
      codec.encodeSync(TopicNames.telemetry, { ...frame, socPct: 'x' as unknown as number });
    } catch (e) {
      caught = e;
    }
    expect(isPlatformError(caught, 'CODEC_FAILED')).toBe(true);
    expect(String(caught)).toMatch(/socPct/);
  });

  it('decodes through the registry first, then synchronously with the same result', async () => {
    const { registry, calls } = fakeRegistry();
    const codec = createAvroCodec({ registry });
    await codec.prepare([TopicNames.telemetry]);
    const bytes = codec.encodeSync(TopicNames.telemetry, frame);
    const first = codec.decode(TopicNames.telemetry, bytes);
    expect(first).toBeInstanceOf(Promise);
    expect(await first).toEqual(ok(frame));
    const second = codec.decode(TopicNames.telemetry, bytes);
    expect(second).not.toBeInstanceOf(Promise);
    expect(second).toEqual(ok(frame));
    expect(calls.getSchema).toBe(1);

    expect(codec.decode(TopicNames.telemetry, Buffer.concat([bytes.subarray(0, 5), Buffer.from([0xff, 0xff])]))).toMatchObject({ ok: false, error: expect.stringMatching(/schema id 7/) as unknown });
    expect(codec.decode(TopicNames.telemetry, Buffer.concat([bytes, Buffer.from([1])]))).toMatchObject({ ok: false, error: expect.stringMatching(/trailing data/) as unknown });
    expect(codec.decode(TopicNames.telemetry, Buffer.from('{"not":"avro"}'))).toEqual(err('telemetry.v1: unknown magic byte 0x7b (expected 0x00)'));
    expect(await codec.decode(TopicNames.telemetry, Buffer.from([0, 0, 0, 0, 9, 1]))).toEqual(err('telemetry.v1: schema id 9 is not in the registry'));
  });

  it('reads records written with an older schema version into today\'s shape', async () => {
    const versions = schemaHistory(TopicNames.assetState);
    const oldest = versions[0];
    if (oldest === undefined || versions.length < 2) throw new Error('asset.state.v1 should have a schema history');
    const old = typeOf(oldest.schema);
    const { registry } = fakeRegistry({ 3: old });
    const codec = createAvroCodec({ registry });
    const agg = { availableEnergyKwh: 1, chargeHeadroomKw: 2, dischargeHeadroomKw: 3, solarKw: 4, loadKw: 5, gridKw: 6, batteryKw: 7, onlineCount: 1, deviceCount: 1, alarmCount: 0 };
    const v = { assetId: 'a', kind: 'SITE', version: 1, updatedAtMs: 1, lastSeenMs: null, online: true, socPct: 50, mode: 'IDLE', alarms: [], activeCommandIds: [], aggregate: agg, lastSeq: null };
    const bytes = Buffer.concat([Buffer.from([0, 0, 0, 0, 3]), old.toBuffer(v)]);
    const d = await codec.decode(TopicNames.assetState, bytes);
    expect(d).toMatchObject({ ok: true, value: { assetId: 'a', children: [] } });
    expect(codec.decode(TopicNames.assetState, bytes)).toEqual(d);
  });
});
