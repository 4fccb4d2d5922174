/**
 * HTTP basic auth of the embedded registry (the secured stack, REGISTRY_USERS_FILE): every request
 * needs a known user (else 401, Confluent's 40101), and a request that would change the registry
 * needs the write role (else 403, 40301). Re-registering a schema the subject already has changes
 * nothing, so a reader may do it: that is how every service's codec learns its schema id (the
 * client registers on first encode), while only the stack, which holds the write role, adds a
 * version, deletes or sets a compatibility level. Pure.
 *
 * Passwords are stored as SHA-256: the stack generates them at random (24 bytes), so a hash
 * without salt or stretching leaves nothing to guess.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { err, ok, type Result } from '../../platform/result.ts';
import type { RegistryError } from './registry-errors.ts';

export type RegistryRole = 'read' | 'write';

export interface RegistryUser {
  readonly role: RegistryRole;
  readonly passwordSha256: Buffer;
}

export type RegistryUsers = ReadonlyMap<string, RegistryUser>;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `{ "users": { name: { "role": "read" | "write", "passwordSha256Hex": "<64 hex>" } } }` */
export const parseRegistryUsers = (json: unknown): Result<RegistryUsers, string> => {
  if (!isRecord(json) || !isRecord(json['users'])) return err('registry users file must be an object with a "users" object');
  const users = new Map<string, RegistryUser>();
  const problems: string[] = [];
  for (const [name, u] of Object.entries(json['users'])) {
    if (!isRecord(u)) problems.push(`user ${name} must be an object`);
    else if (u['role'] !== 'read' && u['role'] !== 'write') problems.push(`user ${name}: role must be read or write`);
    else if (typeof u['passwordSha256Hex'] !== 'string' || !/^[0-9a-fA-F]{64}$/.test(u['passwordSha256Hex'])) problems.push(`user ${name}: passwordSha256Hex must be 64 hex digits`);
    else users.set(name, { role: u['role'], passwordSha256: Buffer.from(u['passwordSha256Hex'], 'hex') });
  }
  if (users.size === 0 && problems.length === 0) problems.push('registry users file names no user');
  return problems.length > 0 ? err(problems.join('; ')) : ok(users);
};

const unauthorized: RegistryError = { status: 401, errorCode: 40101, message: 'Unauthorized: this registry needs HTTP basic auth with a known user' };
export const forbidden = (user: string): RegistryError => ({ status: 403, errorCode: 40301, message: `User ${user} may only read: changing the registry needs the write role` });

/** The role of the user an Authorization header names, or 401. */
export const authenticate = (users: RegistryUsers, header: string | undefined): Result<{ user: string; role: RegistryRole }, RegistryError> => {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (m?.[1] === undefined) return err(unauthorized);
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return err(unauthorized);
  const name = decoded.slice(0, colon);
  const user = users.get(name);
  const given = createHash('sha256').update(decoded.slice(colon + 1), 'utf8').digest();
  // Compare even for an unknown user, so timing does not tell which names exist.
  const match = timingSafeEqual(given, user?.passwordSha256 ?? Buffer.alloc(32));
  return user !== undefined && match ? ok({ user: name, role: user.role }) : err(unauthorized);
};
