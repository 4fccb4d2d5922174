/**
 * Users of the embedded server, from a JSON users file: a password (plain or SHA-256 hex), a
 * readonly level and settings the engine enforces on every query of the user. Pure.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { err, ok, type Result } from '../../platform/result.ts';
import { ownException, type ChException } from './exception.ts';
import type { Credentials } from './request-params.ts';
import { parseQuota, type QuotaInterval } from './quotas.ts';
import { parseGrants, type TableGrants } from './table-grants.ts';

export interface User {
  readonly name: string;
  /** 0: may read and write; 1: reads only and may not change settings (ClickHouse's readonly=1). */
  readonly readonly: 0 | 1;
  /** Applied before each query, e.g. max_execution_time; the user cannot override them when readonly. */
  readonly settings: ReadonlyArray<readonly [string, string]>;
  readonly passwordSha256: Buffer;
  /** Per-table grants (table-grants.ts); undefined: every table, as a user without `grants` in the file. */
  readonly grants?: TableGrants;
  /** Limits over time (quotas.ts); undefined: none. */
  readonly quota?: readonly QuotaInterval[];
}

export type Users = ReadonlyMap<string, User>;

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validates a users file's parsed JSON: `{ "users": { name: { password?, passwordSha256Hex?,
 * readonly?, settings?, grants?, quota? } } }`, grants as `["GRANT SELECT ON db.table", ...]`,
 * quota as `[{ "duration": 3600, "queries": 1000 }]`.
 */
export const parseUsers = (json: unknown): Result<Users, string> => {
  if (!isRecord(json) || !isRecord(json['users'])) return err('users file must be an object with a "users" object');
  const users = new Map<string, User>();
  const problems: string[] = [];
  for (const [name, raw] of Object.entries(json['users'])) {
    if (!isRecord(raw)) {
      problems.push(`user ${name} must be an object`);
      continue;
    }
    const { password, passwordSha256Hex, readonly, settings, grants, quota } = raw;
    const intervals = quota === undefined ? undefined : parseQuota(quota);
    if (intervals !== undefined && !intervals.ok) problems.push(`user ${name}: ${intervals.error}`);
    let tableGrants: TableGrants | undefined;
    if (grants !== undefined) {
      const g = Array.isArray(grants) ? parseGrants(grants) : undefined;
      if (g === undefined) problems.push(`user ${name}: grants must be a list of GRANT lines`);
      else if (!g.ok) problems.push(`user ${name}: ${g.error}`);
      else tableGrants = g.value;
    }
    let hash: Buffer | undefined;
    if (typeof passwordSha256Hex === 'string' && /^[0-9a-fA-F]{64}$/.test(passwordSha256Hex)) hash = Buffer.from(passwordSha256Hex, 'hex');
    else if (passwordSha256Hex !== undefined) problems.push(`user ${name}: passwordSha256Hex must be 64 hex digits`);
    else if (typeof password === 'string') hash = sha256(password);
    else if (password === undefined) hash = sha256('');
    else problems.push(`user ${name}: password must be a string`);
    if (readonly !== undefined && readonly !== 0 && readonly !== 1) problems.push(`user ${name}: readonly must be 0 or 1`);
    const pairs: Array<readonly [string, string]> = [];
    if (settings !== undefined) {
      if (!isRecord(settings)) problems.push(`user ${name}: settings must be an object`);
      else {
        for (const [k, v] of Object.entries(settings)) {
          if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) problems.push(`user ${name}: bad setting name ${k}`);
          else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') pairs.push([k, String(v)]);
          else problems.push(`user ${name}: setting ${k} must be a string, number or boolean`);
        }
      }
    }
    if (hash) users.set(name, { name, readonly: readonly === 1 ? 1 : 0, settings: pairs, passwordSha256: hash, ...(tableGrants === undefined ? {} : { grants: tableGrants }), ...(intervals?.ok === true ? { quota: intervals.value } : {}) });
  }
  if (!users.has('default')) problems.push('a "default" user is required (it serves requests without credentials)');
  return problems.length > 0 ? err(problems.join('; ')) : ok(users);
};

/**
 * What production refuses in a users file: the `default` user (it serves every request without
 * credentials) without a password, and any user whose password the repository publishes.
 */
export const productionProblems = (users: Users, published: ReadonlySet<string>): string[] => {
  const problems: string[] = [];
  const empty = sha256('');
  const known = [...published].map(sha256);
  for (const u of users.values()) {
    if (timingSafeEqual(u.passwordSha256, empty)) {
      if (u.name === 'default') problems.push('users file: the default user has no password (it answers every request that brings no credentials)');
      else problems.push(`users file: user ${u.name} has no password`);
    } else if (known.some((k) => timingSafeEqual(u.passwordSha256, k))) problems.push(`users file: user ${u.name} has a default password published in the repository`);
  }
  return problems;
};

/** Requests without credentials are the `default` user, as in ClickHouse. */
export const authenticate = (users: Users, credentials: Credentials | undefined): Result<User, ChException> => {
  const name = credentials?.user ?? 'default';
  const user = users.get(name);
  const given = sha256(credentials?.password ?? '');
  // Compare even for an unknown user so timing does not tell which names exist.
  const expected = user?.passwordSha256 ?? sha256(`\u0000unknown:${name}`);
  if (user === undefined || !timingSafeEqual(given, expected)) {
    return err(ownException('AUTHENTICATION_FAILED', `${name}: Authentication failed: password is incorrect, or there is no user with such name`));
  }
  return ok(user);
};
