/**
 * The REST API's routing table: which path and method answer with which query or decision.
 * Pure: a route gets the parsed request and the current state and returns either a read reply or
 * a decision for the server to run in its single writer lane. No sockets here.
 */
import { ok, type Result } from '../../platform/result.ts';
import { deleteConfig, deleteSubject, deleteVersion, registerSchema, setConfig, type Decide } from './registry-commands.ts';
import { registryErrors, type RegistryError } from './registry-errors.ts';
import {
  getGlobalConfig,
  getSchemaById,
  getSchemaSubjects,
  getSchemaTextById,
  getSchemaUsages,
  getSubjectConfig,
  getVersion,
  getVersionSchema,
  listSubjects,
  listVersions,
  lookupSchema,
  testCompatibility,
} from './registry-queries.ts';
import type { RegistryState } from './registry-state.ts';

export interface RouteRequest {
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: unknown;
  readonly state: RegistryState;
}

export type RouteOutcome =
  | { readonly kind: 'read'; readonly reply: Result<unknown, RegistryError> }
  | { readonly kind: 'write'; readonly decide: Decide };

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface Route {
  readonly method: Method;
  /** The path as written (`/subjects/:subject/versions`). */
  readonly path: string;
  /** Path segments; `:name` captures one (URL-decoded) segment. */
  readonly pattern: readonly string[];
  readonly handle: (req: RouteRequest) => RouteOutcome;
}

const read = (reply: Result<unknown, RegistryError>): RouteOutcome => ({ kind: 'read', reply });
const write = (decide: Decide): RouteOutcome => ({ kind: 'write', decide });
const flag = (q: URLSearchParams, name: string): boolean => q.get(name)?.toLowerCase() === 'true';
const p = (req: RouteRequest, name: string): string => req.params[name] ?? '';

const route = (method: Method, path: string, handle: Route['handle']): Route => ({
  method,
  path,
  pattern: path.split('/').filter((s) => s !== ''),
  handle,
});

/** The Confluent REST API as this registry answers it (its paths use `:name` as fastify's do). */
export const routes: readonly Route[] = [
  route('GET', '/', () => read(ok({}))),
  // The project's one health path (every service answers it); not part of the Confluent API.
  route('GET', '/healthz', () => read(ok({ status: 'ok' }))),
  route('GET', '/subjects', (r) => read(listSubjects(r.state, flag(r.query, 'deleted')))),
  route('GET', '/schemas/types', () => read(ok(['AVRO']))),
  route('GET', '/schemas/ids/:id', (r) => read(getSchemaById(r.state, p(r, 'id')))),
  route('GET', '/schemas/ids/:id/schema', (r) => read(getSchemaTextById(r.state, p(r, 'id')))),
  route('GET', '/schemas/ids/:id/versions', (r) => read(getSchemaUsages(r.state, p(r, 'id'), flag(r.query, 'deleted')))),
  route('GET', '/schemas/ids/:id/subjects', (r) => read(getSchemaSubjects(r.state, p(r, 'id'), flag(r.query, 'deleted')))),
  route('POST', '/subjects/:subject', (r) => read(lookupSchema(r.state, p(r, 'subject'), r.body, flag(r.query, 'deleted')))),
  route('DELETE', '/subjects/:subject', (r) => write(deleteSubject(p(r, 'subject'), flag(r.query, 'permanent')))),
  route('GET', '/subjects/:subject/versions', (r) => read(listVersions(r.state, p(r, 'subject'), flag(r.query, 'deleted')))),
  route('POST', '/subjects/:subject/versions', (r) => write(registerSchema(p(r, 'subject'), r.body))),
  route('GET', '/subjects/:subject/versions/:version', (r) =>
    read(getVersion(r.state, p(r, 'subject'), p(r, 'version'), flag(r.query, 'deleted'))),
  ),
  route('GET', '/subjects/:subject/versions/:version/schema', (r) =>
    read(getVersionSchema(r.state, p(r, 'subject'), p(r, 'version'), flag(r.query, 'deleted'))),
  ),
  route('GET', '/subjects/:subject/versions/:version/referencedby', (r) => {
    // Schema references are not supported, so nothing can refer to a version.
    const found = getVersion(r.state, p(r, 'subject'), p(r, 'version'), false);
    return read(found.ok ? ok([]) : found);
  }),
  route('DELETE', '/subjects/:subject/versions/:version', (r) =>
    write(deleteVersion(p(r, 'subject'), p(r, 'version'), flag(r.query, 'permanent'))),
  ),
  route('POST', '/compatibility/subjects/:subject/versions/:version', (r) =>
    read(testCompatibility(r.state, p(r, 'subject'), p(r, 'version'), r.body, flag(r.query, 'verbose'))),
  ),
  route('POST', '/compatibility/subjects/:subject/versions', (r) =>
    read(testCompatibility(r.state, p(r, 'subject'), undefined, r.body, flag(r.query, 'verbose'))),
  ),
  route('GET', '/config', (r) => read(getGlobalConfig(r.state))),
  route('PUT', '/config', (r) => write(setConfig(null, r.body))),
  route('DELETE', '/config', () => write(deleteConfig(null))),
  route('GET', '/config/:subject', (r) => read(getSubjectConfig(r.state, p(r, 'subject'), flag(r.query, 'defaultToGlobal')))),
  route('PUT', '/config/:subject', (r) => write(setConfig(p(r, 'subject'), r.body))),
  route('DELETE', '/config/:subject', (r) => write(deleteConfig(p(r, 'subject')))),
];

const match = (pattern: readonly string[], segments: readonly string[]): Record<string, string> | undefined => {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of pattern.entries()) {
    const seg = segments[i] ?? '';
    if (part.startsWith(':')) params[part.slice(1)] = seg;
    else if (part !== seg) return undefined;
  }
  return params;
};

/** Splits a raw pathname into decoded segments; undefined when the escaping is broken. */
export const pathSegments = (pathname: string): string[] | undefined => {
  try {
    return pathname
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
};

export type Resolution =
  | { readonly kind: 'route'; readonly params: Record<string, string>; readonly handle: Route['handle'] }
  | { readonly kind: 'error'; readonly error: RegistryError };

/** Finds the route for a method and path: 404 when no path matches, 405 when only the method is wrong. */
export const resolveRoute = (method: string, segments: readonly string[]): Resolution => {
  let pathMatched = false;
  for (const r of routes) {
    const params = match(r.pattern, segments);
    if (params === undefined) continue;
    if (r.method === method) return { kind: 'route', params, handle: r.handle };
    pathMatched = true;
  }
  return { kind: 'error', error: pathMatched ? registryErrors.methodNotAllowed() : registryErrors.notFound() };
};
