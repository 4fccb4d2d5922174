// The registry must work unchanged with the client the services use (@kafkajs/confluent-schema-registry v4).
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../../services/platform/logger.ts';
import { startRegistryServer } from '../../../../services/embedded/registry/server.ts';
import { createMemorySchemaStore } from '../../../../services/embedded/registry/schema-store.ts';

const logger = createLogger('silent');
const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const start = async (store = createMemorySchemaStore()) => {
  const server = await startRegistryServer({ store, port: 0, logger });
  servers.push(server);
  return { server, client: new SchemaRegistry({ host: server.url, retry: { retries: 0 } }) };
};

type Field = { name: string; type: string; default?: unknown };
const telemetry = (extra: Field[] = []) => ({
  type: 'record' as const,
  name: 'Telemetry',
  namespace: 'gridfleet',
  fields: [{ name: 'siteId', type: 'string' }, { name: 'socPct', type: 'double' }, ...extra],
});
const avro = (schema: object) => ({ type: SchemaType.AVRO as const, schema: JSON.stringify(schema) });

/** The client throws ResponseError objects carrying the HTTP status. */
const failure = async (p: Promise<unknown>): Promise<{ status?: number; message: string }> => {
  try {
    await p;
  } catch (e) {
    return e as { status?: number; message: string };
  }
  throw new Error('expected the call to fail');
};

describe('@kafkajs/confluent-schema-registry against the registry', () => {
  it('registers, encodes and decodes; same schema twice gives the same id', async () => {
    const { client } = await start();
    const { id } = await client.register(avro(telemetry()), { subject: 'telemetry.v1-value' });
    expect(id).toBe(1);
    expect((await client.register(avro(telemetry()), { subject: 'telemetry.v1-value' })).id).toBe(id);

    const value = { siteId: 'site-7', socPct: 55.5 };
    const bytes = await client.encode(id, value);
    expect(bytes[0]).toBe(0);
    expect(bytes.readInt32BE(1)).toBe(id);
    expect(await client.decode(bytes)).toEqual(value);
  });

  it('looks ids up: latest, by version, by schema, and fetches the schema by id', async () => {
    const { server, client } = await start();
    const first = await client.register(avro(telemetry()), { subject: 's-value' });
    const second = await client.register(avro(telemetry([{ name: 'solarKw', type: 'double', default: 0 }])), { subject: 's-value' });
    expect(second.id).toBe(first.id + 1);
    expect(await client.getLatestSchemaId('s-value')).toBe(second.id);
    expect(await client.getRegistryId('s-value', 1)).toBe(first.id);
    expect(await client.getRegistryIdBySchema('s-value', avro(telemetry()))).toBe(first.id);

    // a fresh client (empty cache) must fetch the schema from the registry
    const fresh = new SchemaRegistry({ host: server.url });
    const schema = (await fresh.getSchema(second.id)) as unknown as { name: string; fields: { name: string }[] };
    expect(schema.name).toBe('gridfleet.Telemetry');
    expect(schema.fields.map((f) => f.name)).toEqual(['siteId', 'socPct', 'solarKw']);
  });

  it('decodes old data with a new reader schema across versions', async () => {
    const { client } = await start();
    const { id } = await client.register(avro(telemetry()), { subject: 'evolve-value' });
    const bytes = await client.encode(id, { siteId: 'a', socPct: 1 });
    const newer = telemetry([{ name: 'solarKw', type: 'double', default: 2.5 }]);
    await client.register(avro(newer), { subject: 'evolve-value' });
    const decoded: unknown = await client.decode(bytes, { [SchemaType.AVRO]: { readerSchema: newer } });
    expect(decoded).toEqual({ siteId: 'a', socPct: 1, solarKw: 2.5 });
  });

  it('refuses an incompatible change with 409 and a message naming the field', async () => {
    const { client } = await start();
    await client.register(avro(telemetry()), { subject: 'strict-value' });
    const e = await failure(client.register(avro(telemetry([{ name: 'loadKw', type: 'double' }])), { subject: 'strict-value' }));
    expect(e.status).toBe(409);
    expect(e.message).toContain("'loadKw'");
  });

  it('sets the subject compatibility the client asks for on first registration', async () => {
    const { server, client } = await start();
    await client.register(avro(telemetry()), { subject: 'cfg-value', compatibility: COMPATIBILITY.FULL });
    const res = await fetch(`${server.url}/config/cfg-value`);
    expect(await res.json()).toEqual({ compatibilityLevel: 'FULL' });
  });

  it('answers 422 for a schema the registry refuses, 40403 for an unknown id, 404 for an unknown subject', async () => {
    const { client } = await start();
    // the client validates Avro locally, so a schema type this registry does not serve is what reaches it
    const invalid = await failure(client.register({ type: SchemaType.JSON, schema: '{"type":"object"}' }, { subject: 'x' }));
    expect(invalid.status).toBe(422);
    expect(invalid.message).toContain('AVRO only');
    const unknownId = await failure(client.getSchema(4242));
    expect(unknownId.status).toBe(404);
    expect(unknownId.message).toContain('Schema 4242 not found');
    const unknownSubject = await failure(client.getLatestSchemaId('missing-value'));
    expect(unknownSubject.status).toBe(404);
    expect(unknownSubject.message).toContain("Subject 'missing-value' not found");
  });

  it('keeps ids after a restart: data encoded before decodes after', async () => {
    const store = createMemorySchemaStore();
    const before = await start(store);
    const { id } = await before.client.register(avro(telemetry()), { subject: 'restart-value' });
    const bytes = await before.client.encode(id, { siteId: 'z', socPct: 9 });
    await before.server.close();
    servers.length = 0;

    const after = await start(createMemorySchemaStore(store.records()));
    expect(await after.client.getLatestSchemaId('restart-value')).toBe(id);
    expect(await after.client.decode(bytes)).toEqual({ siteId: 'z', socPct: 9 });
    expect((await after.client.register(avro(telemetry()), { subject: 'restart-value' })).id).toBe(id);
  });
});
