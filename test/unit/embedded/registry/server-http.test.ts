import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { RegistryUsers } from '../../../../services/embedded/registry/registry-auth.ts';
import { createLogger } from '../../../../services/platform/logger.ts';
import { startRegistryServer } from '../../../../services/embedded/registry/server.ts';
import { createMemorySchemaStore, type SchemaLogStore } from '../../../../services/embedded/registry/schema-store.ts';

const logger = createLogger('silent');
const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const start = async (store: SchemaLogStore = createMemorySchemaStore()) => {
  const server = await startRegistryServer({ store, port: 0, logger });
  servers.push(server);
  return server;
};

const CT = 'application/vnd.schemaregistry.v1+json';

/** A small client: returns status and parsed body. */
const call = async (base: string, method: string, path: string, body?: unknown, raw?: string) => {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': CT, accept: CT },
    ...(raw !== undefined ? { body: raw } : body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, contentType: res.headers.get('content-type'), body: text === '' ? undefined : (JSON.parse(text) as unknown) };
};

const record = (fields: { name: string; type: unknown; default?: unknown }[]) =>
  JSON.stringify({ type: 'record', name: 'Telemetry', namespace: 'gridfleet', fields });
const v1 = record([{ name: 'siteId', type: 'string' }]);
const v2 = record([{ name: 'siteId', type: 'string' }, { name: 'socPct', type: 'double', default: 0 }]);

describe('registry over HTTP (fetch)', () => {
  it('answers GET / with {} in the registry content type', async () => {
    const { url } = await start();
    const res = await call(url, 'GET', '/');
    expect(res).toEqual({ status: 200, contentType: CT, body: {} });
  });

  it('registers, lists, fetches versions and schemas by id', async () => {
    const { url } = await start();
    expect((await call(url, 'POST', '/subjects/t-value/versions', { schema: v1 })).body).toEqual({ id: 1 });
    expect((await call(url, 'POST', '/subjects/t-value/versions', { schema: v1, schemaType: 'AVRO' })).body).toEqual({ id: 1 });
    expect((await call(url, 'POST', '/subjects/t-value/versions', { schema: v2 })).body).toEqual({ id: 2 });
    expect((await call(url, 'POST', '/subjects/other-value/versions', { schema: v2 })).body).toEqual({ id: 2 });

    expect((await call(url, 'GET', '/subjects')).body).toEqual(['other-value', 't-value']);
    expect((await call(url, 'GET', '/subjects/t-value/versions')).body).toEqual([1, 2]);
    expect((await call(url, 'GET', '/subjects/t-value/versions/latest')).body).toEqual({ subject: 't-value', version: 2, id: 2, schema: v2 });
    expect((await call(url, 'GET', '/subjects/t-value/versions/1')).body).toEqual({ subject: 't-value', version: 1, id: 1, schema: v1 });
    expect((await call(url, 'GET', '/subjects/t-value/versions/1/schema')).body).toEqual(JSON.parse(v1));
    expect((await call(url, 'GET', '/schemas/ids/2')).body).toEqual({ schema: v2 });
    expect((await call(url, 'GET', '/schemas/ids/2/schema')).body).toEqual(JSON.parse(v2));
    expect((await call(url, 'GET', '/schemas/ids/2/versions')).body).toEqual([
      { subject: 'other-value', version: 1 },
      { subject: 't-value', version: 2 },
    ]);
    expect((await call(url, 'GET', '/schemas/types')).body).toEqual(['AVRO']);
  });

  it('looks a schema up under a subject: found, 40403 unknown schema, 40401 unknown subject', async () => {
    const { url } = await start();
    await call(url, 'POST', '/subjects/t-value/versions', { schema: v1 });
    const found = await call(url, 'POST', '/subjects/t-value', { schema: JSON.stringify(JSON.parse(v1), null, 2) });
    expect(found.body).toEqual({ subject: 't-value', version: 1, id: 1, schema: v1 });
    expect(await call(url, 'POST', '/subjects/t-value', { schema: v2 })).toMatchObject({ status: 404, body: { error_code: 40403 } });
    expect(await call(url, 'POST', '/subjects/nope', { schema: v1 })).toMatchObject({ status: 404, body: { error_code: 40401 } });
  });

  it('answers Confluent errors: 40401, 40402, 40403, 42202, 42201, 404, 405', async () => {
    const { url } = await start();
    await call(url, 'POST', '/subjects/t/versions', { schema: v1 });
    expect(await call(url, 'GET', '/subjects/nope/versions')).toEqual({
      status: 404,
      contentType: CT,
      body: { error_code: 40401, message: "Subject 'nope' not found." },
    });
    expect(await call(url, 'GET', '/subjects/t/versions/9')).toMatchObject({ status: 404, body: { error_code: 40402 } });
    expect(await call(url, 'GET', '/schemas/ids/999')).toMatchObject({ status: 404, body: { error_code: 40403 } });
    expect(await call(url, 'GET', '/subjects/t/versions/0')).toMatchObject({ status: 422, body: { error_code: 42202 } });
    expect(await call(url, 'GET', '/subjects/t/versions/abc')).toMatchObject({ status: 422, body: { error_code: 42202 } });
    expect(await call(url, 'POST', '/subjects/t/versions', { schema: '{"type":"recordd"}' })).toMatchObject({
      status: 422,
      body: { error_code: 42201 },
    });
    expect(await call(url, 'POST', '/subjects/t/versions', { schema: 'not json at all' })).toMatchObject({ status: 422, body: { error_code: 42201 } });
    expect(await call(url, 'POST', '/subjects/t/versions', {})).toMatchObject({ status: 422, body: { error_code: 42201 } });
    const proto = await call(url, 'POST', '/subjects/t/versions', { schema: 'syntax = "proto3";', schemaType: 'PROTOBUF' });
    expect(proto).toMatchObject({ status: 422, body: { error_code: 42201 } });
    expect((proto.body as { message: string }).message).toContain('AVRO only');
    expect(await call(url, 'GET', '/nothing/here')).toMatchObject({ status: 404, body: { error_code: 404 } });
    expect(await call(url, 'PATCH', '/subjects')).toMatchObject({ status: 405, body: { error_code: 405 } });
  });

  it('refuses malformed and oversized bodies with a 4xx and keeps serving', async () => {
    const store = createMemorySchemaStore();
    const server = await startRegistryServer({ store, port: 0, logger, maxBodyBytes: 1024 });
    servers.push(server);
    const malformed = await call(server.url, 'POST', '/subjects/t/versions', undefined, '{"schema": ');
    expect(malformed).toMatchObject({ status: 400, body: { error_code: 400 } });
    expect((malformed.body as { message: string }).message).toContain('Malformed JSON');
    const big = await call(server.url, 'POST', '/subjects/t/versions', { schema: 'x'.repeat(5000) });
    expect(big).toMatchObject({ status: 413, body: { error_code: 413 } });
    expect(await call(server.url, 'POST', '/subjects/t/versions', [1, 2])).toMatchObject({ status: 422 });
    expect((await call(server.url, 'POST', '/subjects/t/versions', { schema: v1 })).body).toEqual({ id: 1 });
    expect(store.records()).toHaveLength(1);
  });

  it('reads paths the way Confluent clients write them: a base URL ending in / (//subjects), a trailing slash, %2F in a subject, any Content-Type', async () => {
    // Regression guard of the move to fastify: its router takes `//x` and `/x/` as other paths by default.
    const { url } = await start();
    expect((await call(url, 'POST', '//subjects/a%2Fb-value/versions', { schema: v1 })).body).toEqual({ id: 1 });
    expect((await call(url, 'GET', '/subjects/')).body).toEqual(['a/b-value']);
    expect((await call(url, 'GET', '/subjects/a%2Fb-value/versions/1/')).body).toMatchObject({ subject: 'a/b-value', version: 1 });
    const plain = await fetch(`${url}/subjects/a%2Fb-value`, { method: 'POST', headers: { 'content-type': 'text/plain', accept: 'application/json' }, body: JSON.stringify({ schema: v1 }) });
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toBe('application/json');
    expect(await call(url, 'GET', '/subjects/%ZZ/versions')).toMatchObject({ status: 404, body: { error_code: 404 } });
    expect(await call(url, 'POST', '/subjects/t/versions', undefined, '{"__proto__": {"x": 1}, "schema": "string"}')).toMatchObject({ status: 400, body: { error_code: 400 } });
    expect(await call(url, 'HEAD', '/subjects')).toMatchObject({ status: 405 });
  });

  it('with users: 401 (40101, WWW-Authenticate) without a login, a reader re-registers a known schema but may not add one (403, 40301)', async () => {
    const sha = (p: string): Buffer => createHash('sha256').update(p).digest();
    const users: RegistryUsers = new Map([['stack', { role: 'write', passwordSha256: sha('stack-pass') }], ['svc', { role: 'read', passwordSha256: sha('svc-pass') }]]);
    const server = await startRegistryServer({ store: createMemorySchemaStore(), port: 0, logger, users });
    servers.push(server);
    const as = async (who: string | null, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${server.url}${path}`, {
        method, headers: { 'content-type': CT, ...(who === null ? {} : { authorization: `Basic ${Buffer.from(who).toString('base64')}` }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, auth: res.headers.get('www-authenticate'), body: await res.json() };
    };
    expect(await as(null, 'GET', '/nothing/here')).toMatchObject({ status: 401, auth: expect.stringContaining('Basic') as unknown, body: { error_code: 40101 } });
    expect(await as('svc:wrong', 'GET', '/subjects')).toMatchObject({ status: 401 });
    expect(await as('stack:stack-pass', 'POST', '/subjects/t/versions', { schema: v1 })).toMatchObject({ status: 200, body: { id: 1 } });
    expect(await as('svc:svc-pass', 'POST', '/subjects/t/versions', { schema: v1 })).toMatchObject({ status: 200, body: { id: 1 } });
    expect(await as('svc:svc-pass', 'POST', '/subjects/t/versions', { schema: v2 })).toMatchObject({ status: 403, body: { error_code: 40301 } });
    expect(await as('svc:svc-pass', 'GET', '/subjects/t/versions')).toMatchObject({ status: 200, body: [1] });
  });

  it('refuses an incompatible schema with 409 naming the field (default BACKWARD_TRANSITIVE)', async () => {
    const { url } = await start();
    await call(url, 'POST', '/subjects/t/versions', { schema: v1 });
    const bad = record([{ name: 'siteId', type: 'string' }, { name: 'solarKw', type: 'double' }]);
    const res = await call(url, 'POST', '/subjects/t/versions', { schema: bad });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error_code: 409 });
    expect((res.body as { message: string }).message).toContain("'solarKw'");
    expect((await call(url, 'GET', '/subjects/t/versions')).body).toEqual([1]);
  });

  it('checks compatibility without registering, verbose on request', async () => {
    const { url } = await start();
    await call(url, 'POST', '/subjects/t/versions', { schema: v1 });
    const bad = record([{ name: 'siteId', type: 'string' }, { name: 'solarKw', type: 'double' }]);
    expect((await call(url, 'POST', '/compatibility/subjects/t/versions/latest', { schema: v2 })).body).toEqual({ is_compatible: true });
    expect((await call(url, 'POST', '/compatibility/subjects/t/versions/1', { schema: bad })).body).toEqual({ is_compatible: false });
    const verbose = await call(url, 'POST', '/compatibility/subjects/t/versions?verbose=true', { schema: bad });
    expect(verbose.body).toMatchObject({ is_compatible: false });
    expect(JSON.stringify(verbose.body)).toContain('solarKw');
    expect(await call(url, 'POST', '/compatibility/subjects/nope/versions/latest', { schema: v1 })).toMatchObject({ status: 404, body: { error_code: 40401 } });
    expect(await call(url, 'POST', '/compatibility/subjects/t/versions/7', { schema: v1 })).toMatchObject({ status: 404, body: { error_code: 40402 } });
    expect((await call(url, 'POST', '/compatibility/subjects/new/versions', { schema: bad })).body).toEqual({ is_compatible: true });
    expect((await call(url, 'GET', '/subjects/t/versions')).body).toEqual([1]);
  });

  it('deletes versions and subjects, soft then permanent', async () => {
    const { url } = await start();
    await call(url, 'POST', '/subjects/t/versions', { schema: v1 });
    await call(url, 'POST', '/subjects/t/versions', { schema: v2 });
    expect(await call(url, 'DELETE', '/subjects/t/versions/2?permanent=true')).toMatchObject({ status: 404, body: { error_code: 40407 } });
    expect((await call(url, 'DELETE', '/subjects/t/versions/2')).body).toBe(2);
    expect(await call(url, 'DELETE', '/subjects/t/versions/2')).toMatchObject({ status: 404, body: { error_code: 40406 } });
    expect((await call(url, 'GET', '/subjects/t/versions')).body).toEqual([1]);
    expect((await call(url, 'GET', '/subjects/t/versions?deleted=true')).body).toEqual([1, 2]);
    expect((await call(url, 'GET', '/subjects/t/versions/latest')).body).toMatchObject({ version: 1 });
    expect((await call(url, 'GET', '/schemas/ids/2')).status).toBe(200);
    expect((await call(url, 'DELETE', '/subjects/t/versions/2?permanent=true')).body).toBe(2);
    expect((await call(url, 'GET', '/schemas/ids/2')).status).toBe(404);

    expect((await call(url, 'DELETE', '/subjects/t')).body).toEqual([1]);
    expect((await call(url, 'GET', '/subjects')).body).toEqual([]);
    expect((await call(url, 'GET', '/subjects?deleted=true')).body).toEqual(['t']);
    expect((await call(url, 'DELETE', '/subjects/t?permanent=true')).body).toEqual([1]);
    expect(await call(url, 'DELETE', '/subjects/t')).toMatchObject({ status: 404, body: { error_code: 40401 } });
  });

  it('keeps config globally and per subject', async () => {
    const { url } = await start();
    expect((await call(url, 'GET', '/config')).body).toEqual({ compatibilityLevel: 'BACKWARD_TRANSITIVE' });
    expect((await call(url, 'PUT', '/config', { compatibility: 'FULL' })).body).toEqual({ compatibility: 'FULL' });
    expect((await call(url, 'GET', '/config')).body).toEqual({ compatibilityLevel: 'FULL' });
    expect(await call(url, 'PUT', '/config', { compatibility: 'SIDEWAYS' })).toMatchObject({ status: 422, body: { error_code: 42203 } });

    expect(await call(url, 'GET', '/config/t')).toMatchObject({ status: 404, body: { error_code: 40408 } });
    expect((await call(url, 'GET', '/config/t?defaultToGlobal=true')).body).toEqual({ compatibilityLevel: 'FULL' });
    expect((await call(url, 'PUT', '/config/t', { compatibility: 'none' })).body).toEqual({ compatibility: 'NONE' });
    expect((await call(url, 'GET', '/config/t')).body).toEqual({ compatibilityLevel: 'NONE' });

    // NONE on the subject lets an otherwise incompatible change through
    await call(url, 'POST', '/subjects/t/versions', { schema: v1 });
    const breaking = record([{ name: 'other', type: 'int' }]);
    expect((await call(url, 'POST', '/subjects/t/versions', { schema: breaking })).body).toEqual({ id: 2 });

    expect((await call(url, 'DELETE', '/config/t')).body).toEqual({ compatibilityLevel: 'NONE' });
    expect(await call(url, 'GET', '/config/t')).toMatchObject({ status: 404 });
    // back under the global FULL: a field without default is refused again
    const back = await call(url, 'POST', '/subjects/t/versions', { schema: record([{ name: 'another', type: 'int' }]) });
    expect(back).toMatchObject({ status: 409 });
    expect((back.body as { message: string }).message).toContain("'another'");
  });

  it('survives a restart: a new server over the same records gives the same ids and versions', async () => {
    const store = createMemorySchemaStore();
    const first = await start(store);
    await call(first.url, 'POST', '/subjects/a/versions', { schema: v1 });
    await call(first.url, 'POST', '/subjects/a/versions', { schema: v2 });
    await call(first.url, 'POST', '/subjects/b/versions', { schema: v2 });
    await call(first.url, 'PUT', '/config/b', { compatibility: 'FULL' });
    await call(first.url, 'DELETE', '/subjects/a/versions/1');
    await first.close();
    servers.splice(servers.indexOf(first), 1);

    const second = await start(createMemorySchemaStore(store.records()));
    expect((await call(second.url, 'GET', '/subjects/a/versions')).body).toEqual([2]);
    expect((await call(second.url, 'GET', '/subjects/a/versions/2')).body).toMatchObject({ id: 2 });
    expect((await call(second.url, 'GET', '/subjects/b/versions/1')).body).toMatchObject({ id: 2 });
    expect((await call(second.url, 'GET', '/config/b')).body).toEqual({ compatibilityLevel: 'FULL' });
    expect((await call(second.url, 'GET', '/schemas/ids/1')).body).toEqual({ schema: v1 });
    // new registrations continue after the replayed ones
    const v3 = record([{ name: 'siteId', type: 'string' }, { name: 'socPct', type: 'double', default: 0 }, { name: 'x', type: 'int', default: 1 }]);
    expect((await call(second.url, 'POST', '/subjects/a/versions', { schema: v3 })).body).toEqual({ id: 3 });
    expect((await call(second.url, 'GET', '/subjects/a/versions/latest')).body).toMatchObject({ version: 3, id: 3 });
  });

  it('serializes concurrent writes: distinct schemas get distinct ids, versions without gaps', async () => {
    const store = createMemorySchemaStore();
    const { url } = await start(store);
    await call(url, 'PUT', '/config', { compatibility: 'NONE' });
    const schemas = Array.from({ length: 20 }, (_, i) => record([{ name: `f${i}`, type: 'int' }]));
    const ids = await Promise.all(schemas.map(async (schema) => (await call(url, 'POST', '/subjects/c/versions', { schema })).body as { id: number }));
    expect(new Set(ids.map((r) => r.id)).size).toBe(20);
    expect((await call(url, 'GET', '/subjects/c/versions')).body).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // the same new schema registered concurrently becomes one version with one id
    const same = record([{ name: 'only', type: 'int' }]);
    const again = await Promise.all(Array.from({ length: 10 }, async () => (await call(url, 'POST', '/subjects/d/versions', { schema: same })).body));
    expect(new Set(again.map((r) => JSON.stringify(r)))).toEqual(new Set([JSON.stringify({ id: 21 })]));
    expect((await call(url, 'GET', '/subjects/d/versions')).body).toEqual([1]);
    expect(store.records()).toHaveLength(22);
  });

  it('after a lost acknowledgement, rebuilds from the log instead of writing a duplicate', async () => {
    // Regression guard: an append that reached the log but whose ack was lost must not make the
    // registry hand out the same version (or id) a second time.
    const inner = createMemorySchemaStore();
    let loseAck = false;
    const store: SchemaLogStore = {
      load: () => inner.load(),
      append: async (r) => {
        await inner.append(r);
        if (loseAck) throw new Error('request timed out');
      },
    };
    const { url } = await start(store);
    await call(url, 'POST', '/subjects/t/versions', { schema: v1 });
    loseAck = true;
    expect(await call(url, 'POST', '/subjects/t/versions', { schema: v2 })).toMatchObject({ status: 500, body: { error_code: 50001 } });
    loseAck = false;
    expect((await call(url, 'POST', '/subjects/t/versions', { schema: v2 })).body).toEqual({ id: 2 });
    expect((await call(url, 'GET', '/subjects/t/versions')).body).toEqual([1, 2]);
    expect(inner.records()).toHaveLength(2);
  });

  it('answers 50001 when the store fails, changes nothing, and recovers from the log', async () => {
    const inner = createMemorySchemaStore();
    let fail = false;
    const flaky: SchemaLogStore = {
      load: () => inner.load(),
      append: async (r) => {
        if (fail) throw new Error('broker unavailable');
        await inner.append(r);
      },
    };
    const { url } = await start(flaky);
    await call(url, 'POST', '/subjects/t/versions', { schema: v1 });
    fail = true;
    const res = await call(url, 'POST', '/subjects/t/versions', { schema: v2 });
    expect(res).toMatchObject({ status: 500, body: { error_code: 50001 } });
    expect((await call(url, 'GET', '/subjects/t/versions')).body).toEqual([1]);
    fail = false;
    expect((await call(url, 'POST', '/subjects/t/versions', { schema: v2 })).body).toEqual({ id: 2 });
    expect(inner.records()).toHaveLength(2);
  });
});
