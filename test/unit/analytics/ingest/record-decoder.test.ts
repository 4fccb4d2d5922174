// Guards the synchronous decode path of ingest: once a schema id is known it must decode exactly
// as the platform codec does, without a promise per record; unknown ids and non-Confluent bytes
// still go through the codec (same results, same dead-letter reasons).
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { describe, expect, it } from 'vitest';
import type { AvroCodec } from '../../../../services/platform/avro-codec.ts';
import type { Telemetry } from '../../../../services/platform/events.ts';
import { err, ok } from '../../../../services/platform/result.ts';
import { readSchemaJson, typeOf } from '../../../../services/platform/schemas.ts';
import { TopicNames } from '../../../../services/platform/topics.ts';
import { createRecordDecoder } from '../../../../services/analytics/ingest/record-decoder.ts';

const type = typeOf(readSchemaJson(TopicNames.telemetry));
const frame: Telemetry = {
  deviceId: 'dev-1', siteId: 'site-1', seq: 3, measuredAtMs: 1_700_000_000_000, receivedAtMs: 1_700_000_000_040, socPct: 55, batteryKw: -1.5,
  solarKw: 2, loadKw: 0.5, gridKw: 0.1, batteryTempC: 24, mode: 'SELF_CONSUMPTION', alarms: ['HIGH_TEMP'], activeCommandId: null,
};
const wire = (id: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, 0, id]), body]);

describe('record decoder', () => {
  it('decodes through the codec first, then synchronously with the same result', async () => {
    let codecCalls = 0;
    const codec = {
      decode: (_topic: string, bytes: Buffer) => {
        codecCalls++;
        return Promise.resolve(bytes[0] === 0 ? ok(type.fromBuffer(bytes.subarray(5))) : err('unknown magic byte'));
      },
    } as unknown as AvroCodec;
    const registry = { getSchema: () => Promise.resolve(type) } as unknown as SchemaRegistry;
    const decoder = createRecordDecoder(codec, registry);
    const bytes = wire(7, type.toBuffer(frame));

    const first = decoder.decode(TopicNames.telemetry, bytes);
    expect(first).toBeInstanceOf(Promise);
    expect(await first).toEqual(ok(frame));
    await new Promise((r) => setTimeout(r, 10));

    const second = decoder.decode(TopicNames.telemetry, bytes);
    expect(second).not.toBeInstanceOf(Promise);
    expect(second).toEqual(ok(frame));
    expect(codecCalls).toBe(1);

    const corrupt = decoder.decode(TopicNames.telemetry, wire(7, Buffer.from([0xff, 0xff])));
    expect(corrupt).toMatchObject({ ok: false });
    expect(corrupt).toMatchObject({ error: expect.stringMatching(/schema id 7/) as unknown });

    expect(await decoder.decode(TopicNames.telemetry, Buffer.from('{"not":"avro"}'))).toEqual(err('unknown magic byte'));
    expect(codecCalls).toBe(2);
  });
});
