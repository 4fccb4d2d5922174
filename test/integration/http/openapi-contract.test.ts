/**
 * The APIs as specified (issue 16): each service, run as a process, serves /openapi.json equal to
 * the file checked into docs/openapi/ (GRIDFLEET_WRITE_OPENAPI=1 rewrites the files from the
 * running services), and answers requests generated from that file (fast-check over each
 * operation's parameters and body) only with a status the file documents, with a body that
 * matches the documented schema.
 */
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { valid, type JsonSchema } from '../../support/schema-arbitrary.ts';
import { startServiceProcess, type ServiceProcess, type ServiceProcessOptions } from '../../support/service-process.ts';
import { freshName, TEST_STACK_ENV } from '../../support/stack-env.ts';

const TOKEN = 'contract-operator-token';
const DOCS = join(import.meta.dirname, '../../../docs/openapi');

interface Spec {
  paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string; required?: boolean; schema: JsonSchema }>; requestBody?: { content: Record<string, { schema: JsonSchema }> }; responses: Record<string, { content?: Record<string, { schema: JsonSchema }> }> }>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

interface ContractService extends Omit<ServiceProcessOptions, 'cleanup' | 'env'> {
  readonly env: Readonly<Record<string, string>>;
  /** Operations (`method /path`) not generated. */
  readonly skip?: readonly string[];
  /** Starts what the service needs first (stopped with it) and answers more of its environment. */
  readonly needs?: () => Promise<Record<string, string>>;
  /** The headers that authenticate one request (default: Authorization: Bearer TOKEN). */
  readonly credentials?: (url: string) => Promise<Record<string, string>>;
}

const controlProcess = (name: string): Omit<ServiceProcessOptions, 'cleanup'> => ({
  name, entry: 'services/operational/control/main.ts', portEnv: 'CONTROL_PORT', env: { ...TEST_STACK_ENV, CONTROL_TOKENS: `operator:${TOKEN}:contract`, CONTROL_INSTANCE_ID: freshName(`contract-${name}`) },
});

/** The console authenticates with its session cookie: one fresh sign-in per request, so a generated sign-out ends only its own. */
const consoleSession = async (url: string): Promise<Record<string, string>> => {
  const res = await fetch(`${url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: TOKEN }) });
  const cookie = res.headers.get('set-cookie')?.split(';')[0];
  if (res.status !== 200 || cookie === undefined) throw new Error(`console sign-in failed: ${res.status} ${await res.text()}`);
  return { cookie };
};

const services: readonly ContractService[] = [
  // The console's API answers for control (the role comes from control, dispatches are forwarded to it).
  {
    name: 'console', entry: 'services/console/main.ts', portEnv: 'CONSOLE_PORT', env: { ...TEST_STACK_ENV, CONSOLE_SITE_LOCATIONS: '0', CONSOLE_POLL_MS: '60000', CONSOLE_SIGN_IN_FAILURES: '1000000' },
    needs: async () => ({ CONSOLE_CONTROL_URL: (await startServiceProcess({ ...controlProcess('console-control'), cleanup: afterAll })).url }),
    credentials: consoleSession,
  },
  controlProcess('control'),
  // Provisioning publishes to the shared asset.registry.v1 of the test stack: not generated here
  // (gateway-auth-validation and the e2e journeys provision through it).
  { name: 'gateway', entry: 'services/operational/gateway/main.ts', portEnv: 'GATEWAY_PORT', env: { ...TEST_STACK_ENV, OPERATOR_TOKEN: TOKEN, GATEWAY_INSTANCE_ID: freshName('contract-gw') }, skip: ['post /v1/provision'] },
  { name: 'assets', entry: 'services/operational/assets/main.ts', portEnv: 'ASSETS_PORT', env: { ...TEST_STACK_ENV, ASSETS_TOKENS: `viewer:${TOKEN}`, ASSETS_GROUP_ID: freshName('contract-assets'), ASSETS_INSTANCE_ID: 'contract-assets' } },
];

/** Inlines $refs to components, so one schema validates on its own. */
const inline = (s: unknown, components: Record<string, JsonSchema>): unknown => {
  if (Array.isArray(s)) return s.map((x) => inline(x, components));
  if (typeof s !== 'object' || s === null) return s;
  const ref = (s as JsonSchema)['$ref'];
  if (typeof ref === 'string') return inline(components[ref.replace('#/components/schemas/', '')] ?? {}, components);
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, inline(v, components)]));
};

// A path segment fetch would normalise away (`.`, `..`) is another URL, not this operation.
const segment = fc.string({ minLength: 1, maxLength: 60 }).filter((s) => s !== '.' && s !== '..');

for (const svc of services) {
  describe(`${svc.name}: OpenAPI served, checked in, and kept`, () => {
    let p: ServiceProcess;
    let spec: Spec;
    beforeAll(async () => {
      const more = (await svc.needs?.()) ?? {};
      p = await startServiceProcess({ ...svc, env: { ...svc.env, ...more }, cleanup: afterAll });
      spec = (await (await fetch(`${p.url}/openapi.json`)).json()) as Spec;
      if (process.env['GRIDFLEET_WRITE_OPENAPI'] === '1') writeFileSync(join(DOCS, `${svc.name}.json`), `${JSON.stringify(spec, null, 2)}\n`);
    });

    it('serves the specification checked into docs/openapi/', () => {
      const checkedIn = JSON.parse(readFileSync(join(DOCS, `${svc.name}.json`), 'utf8')) as unknown;
      expect(spec, `docs/openapi/${svc.name}.json differs from the served one: run this test with GRIDFLEET_WRITE_OPENAPI=1`).toEqual(checkedIn);
    });

    it('answers generated requests only with documented statuses and bodies', async () => {
      const components = spec.components?.schemas ?? {};
      const ajv = new Ajv({ strict: false, allErrors: true });
      const problems: string[] = [];
      for (const [path, ops] of Object.entries(spec.paths)) {
        for (const [method, op] of Object.entries(ops)) {
          if (svc.skip?.includes(`${method} ${path}`)) continue;
          const params = op.parameters ?? [];
          const bodySchema = op.requestBody?.content['application/json']?.schema;
          const request = fc.record({
            path: fc.record(Object.fromEntries(params.filter((x) => x.in === 'path').map((x) => [x.name, segment]))),
            query: fc.record(Object.fromEntries(params.filter((x) => x.in === 'query').map((x) => [x.name, valid(x.schema, components)])), { requiredKeys: [] }),
            body: bodySchema === undefined ? fc.constant(undefined) : valid(bodySchema, components),
          });
          await fc.assert(fc.asyncProperty(request, async (r) => {
            const url = new URL(p.url + path.replace(/\{(\w+)\}/g, (_m, n: string) => encodeURIComponent(String(r.path[n]))));
            for (const [k, v] of Object.entries(r.query)) url.searchParams.set(k, String(v));
            const credentials = (await svc.credentials?.(p.url)) ?? { authorization: `Bearer ${TOKEN}` };
            const res = await fetch(url, {
              method: method.toUpperCase(), headers: { ...credentials, ...(r.body === undefined ? {} : { 'content-type': 'application/json' }) },
              ...(r.body === undefined ? {} : { body: JSON.stringify(r.body) }),
            });
            const documented = op.responses[String(res.status)];
            // A stream stays open: its status and content type are what can be checked.
            if (res.headers.get('content-type')?.startsWith('text/event-stream') === true) {
              await res.body?.cancel();
              if (documented?.content?.['text/event-stream'] === undefined) problems.push(`${method} ${url.pathname}: an event stream with status ${res.status} is not documented`);
              return;
            }
            const text = await res.text();
            if (documented === undefined) {
              problems.push(`${method} ${url.pathname}: status ${res.status} is not documented (${text.slice(0, 200)})`);
              return;
            }
            const schema = documented.content?.['application/json']?.schema;
            if (schema === undefined || res.status === 304) return;
            const check = ajv.compile(inline(schema, components) as JsonSchema);
            if (!check(JSON.parse(text))) problems.push(`${method} ${url.pathname} ${res.status}: ${ajv.errorsText(check.errors)} in ${text.slice(0, 200)}`);
          }), { numRuns: 15 });
        }
      }
      expect(problems.slice(0, 10)).toEqual([]);
    });
  });
}
