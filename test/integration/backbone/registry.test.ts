import { createServer, request } from 'node:http';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { describe, expect, it } from 'vitest';
import { createAvroCodec, createRegistryClient } from '../../../services/platform/avro-codec.ts';
import { TopicNames } from '../../../services/platform/topics.ts';
import type { Telemetry } from '../../../services/platform/events.ts';
import { testStack } from '../../support/clients.ts';
import { freshName, testConfig } from '../../support/stack-env.ts';

const url = testConfig().registryUrl;
const record = (name: string, fields: unknown[]): string => JSON.stringify({ type: 'record', name, namespace: 'test', fields });
const v1 = (n: string): string => record(n, [{ name: 'id', type: 'string' }]);
const v2ok = (n: string): string => record(n, [{ name: 'id', type: 'string' }, { name: 'powerKw', type: 'double', default: 0 }]);
const v2bad = (n: string): string => record(n, [{ name: 'id', type: 'string' }, { name: 'socPct', type: 'double' }]);

const post = async (path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

describe('the schema registry (Kafka-backed) through @kafkajs/confluent-schema-registry', () => {
  it('registers, encodes and decodes; the same schema twice gets the same id', async () => {
    const registry = new SchemaRegistry({ host: url });
    const subject = `${freshName('subj')}-value`;
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: v1('Rec') }, { subject });
    const again = await registry.register({ type: SchemaType.AVRO, schema: v1('Rec') }, { subject });
    expect(again.id).toBe(id);
    const bytes = await registry.encode(id, { id: 'abc' });
    expect(bytes[0]).toBe(0);
    expect(bytes.readInt32BE(1)).toBe(id);
    expect(await registry.decode(bytes)).toEqual({ id: 'abc' });
    expect(await registry.getLatestSchemaId(subject)).toBe(id);
  });

  it('refuses an incompatible change with 409 naming the field, accepts a compatible one', async () => {
    const subject = `${freshName('compat')}-value`;
    expect((await post(`/subjects/${subject}/versions`, { schema: v1('Rec') })).status).toBe(200);
    const bad = await post(`/subjects/${subject}/versions`, { schema: v2bad('Rec') });
    expect(bad.status).toBe(409);
    expect(bad.json['error_code']).toBe(409);
    expect(String(bad.json['message'])).toContain('socPct');
    expect((await post(`/subjects/${subject}/versions`, { schema: v2ok('Rec') })).status).toBe(200);
  });

  it('answers garbage with 422 and an unknown id with 40403', async () => {
    const garbage = await post(`/subjects/${freshName('g')}-value/versions`, { schema: '{"type": "record", "name": 12' });
    expect(garbage.status).toBe(422);
    expect(garbage.json['error_code']).toBe(42201);
    const res = await fetch(`${url}/schemas/ids/987654321`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as Record<string, unknown>)['error_code']).toBe(40403);
  });

  it('keeps ids and versions across a stack restart (state rebuilt from _schemas)', async () => {
    const subject = `${freshName('durable')}-value`;
    const first = await post(`/subjects/${subject}/versions`, { schema: v1('Rec') });
    const second = await post(`/subjects/${subject}/versions`, { schema: v2ok('Rec') });
    const versionsBefore = await (await fetch(`${url}/subjects/${subject}/versions`)).json();
    const stack = testStack();
    await stack.down(['registry', 'kafka']);
    await stack.up(['kafka', 'registry']);
    expect(await (await fetch(`${url}/subjects/${subject}/versions`)).json()).toEqual(versionsBefore);
    const latest = (await (await fetch(`${url}/subjects/${subject}/versions/latest`)).json()) as Record<string, unknown>;
    expect(latest['id']).toBe(second.json['id']);
    const byId = (await (await fetch(`${url}/schemas/ids/${String(first.json['id'])}`)).json()) as Record<string, unknown>;
    expect(JSON.parse(String(byId['schema']))).toEqual(JSON.parse(v1('Rec')));
  });
});

describe('the typed Avro codec over the registry', () => {
  const telemetry: Telemetry = {
    deviceId: 'dev-1', siteId: 'site-1', seq: 7, measuredAtMs: 1_764_000_000_000, receivedAtMs: 1_764_000_000_050,
    socPct: 55.5, batteryKw: -2, solarKw: 4, loadKw: 1.5, gridKw: -0.5, batteryTempC: 25, mode: 'SELF_CONSUMPTION',
    alarms: ['HIGH_TEMP'], activeCommandId: null,
  };

  it('round-trips telemetry and rejects an invalid value naming the field', async () => {
    const codec = createAvroCodec({ registry: createRegistryClient(url) });
    const bytes = await codec.encode(TopicNames.telemetry, telemetry);
    expect(await codec.decode(TopicNames.telemetry, bytes)).toEqual({ ok: true, value: telemetry });
    await expect(codec.encode(TopicNames.telemetry, { ...telemetry, socPct: 'full' as unknown as number })).rejects.toThrow(/socPct/);
    const garbage = await codec.decode(TopicNames.telemetry, Buffer.from('{"json":true}'));
    expect(garbage.ok).toBe(false);
    if (!garbage.ok) expect(garbage.error).toMatch(/magic byte/);
  });

  it('registers the topic subjects at BACKWARD_TRANSITIVE, the design\'s default', async () => {
    const codec = createAvroCodec({ registry: createRegistryClient(url) });
    await codec.registerAll([TopicNames.telemetry]);
    const res = await fetch(`${url}/config/${TopicNames.telemetry}-value?defaultToGlobal=true`);
    expect(((await res.json()) as Record<string, unknown>)['compatibilityLevel']).toBe('BACKWARD_TRANSITIVE');
  });

  it('fetches each schema id once even when many decodes ask at once', async () => {
    // A counting proxy in front of the registry sees every request the codec makes.
    const counts = new Map<string, number>();
    const target = new URL(url);
    const proxy = createServer((req, res) => {
      counts.set(req.url ?? '', (counts.get(req.url ?? '') ?? 0) + 1);
      const up = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const port = (proxy.address() as { port: number }).port;
    try {
      const writer = createAvroCodec({ registry: createRegistryClient(url) });
      const bytes = await writer.encode(TopicNames.telemetry, telemetry);
      const reader = createAvroCodec({ registry: createRegistryClient(`http://127.0.0.1:${port}`) });
      const results = await Promise.all(Array.from({ length: 50 }, async () => reader.decode(TopicNames.telemetry, bytes)));
      expect(results.every((r) => r.ok)).toBe(true);
      const idFetches = [...counts.entries()].filter(([path]) => path.startsWith('/schemas/ids/'));
      expect(idFetches).toHaveLength(1);
      expect(idFetches[0]?.[1]).toBe(1);
    } finally {
      proxy.close();
    }
  });
});
