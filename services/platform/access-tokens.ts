/**
 * Bearer tokens of the services' HTTP APIs (control's operator API, the assets read API): a token
 * proves a principal with a role; customers are scoped to one site. Parsed once from a variable
 * such as CONTROL_TOKENS or ASSETS_TOKENS: comma-separated `operator:TOKEN`, `viewer:TOKEN`,
 * `customer:SITE_ID:TOKEN` (an optional name after the token, `operator:TOKEN:alice`, names who
 * it is in the logs).
 */
import { timingSafeEqual } from 'node:crypto';

export const Roles = { operator: 'operator', viewer: 'viewer', customer: 'customer' } as const;
export type Role = (typeof Roles)[keyof typeof Roles];

export interface Principal {
  readonly role: Role;
  /** Who, for the logs and grid.events.v1 issuedBy: `<role>:<name>`. */
  readonly name: string;
  /** For customers: the one site they control. */
  readonly siteId: string | null;
}

export interface TokenEntry {
  readonly token: string;
  readonly principal: Principal;
}

/** The development tokens every service accepts when its variable is unset (never in production). */
export const DEV_ACCESS_TOKENS = 'operator:dev-operator-token,viewer:dev-viewer-token,customer:site-000001:dev-customer-token';

const same = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** The principal of an Authorization header, or null (no header, not a bearer, unknown token). */
export const authenticate = (tokens: readonly TokenEntry[], authorization: string | undefined): Principal | null => {
  const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  const given = m?.[1];
  if (given === undefined) return null;
  // Compare against every entry so the time taken does not tell which prefix matched.
  let found: Principal | null = null;
  for (const t of tokens) if (same(given, t.token)) found = t.principal;
  return found;
};

const ROLES: readonly Role[] = ['operator', 'viewer', 'customer'];

/** Parses a token list (`variable` names it in problems); problems are pushed, never thrown, so every one is listed. */
export const parseTokens = (raw: string, problems: string[], variable = 'CONTROL_TOKENS'): TokenEntry[] => {
  const out: TokenEntry[] = [];
  for (const item of raw.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const parts = item.split(':');
    const role = ROLES.find((r) => r === parts[0]);
    if (role === undefined) {
      problems.push(`${variable} entry "${parts[0] ?? ''}:..." must start with operator, viewer or customer`);
      continue;
    }
    const siteId = role === 'customer' ? parts[1] : undefined;
    const token = role === 'customer' ? parts[2] : parts[1];
    const name = (role === 'customer' ? parts[3] : parts[2]) ?? (role === 'customer' ? `customer-${siteId ?? ''}` : `${role}-${out.length + 1}`);
    if (role === 'customer' && (siteId === undefined || siteId === '')) problems.push(`${variable} customer entries are customer:SITE_ID:TOKEN`);
    if (token === undefined || token.length < 8) problems.push(`${variable} ${role} token must be at least 8 characters`);
    else out.push({ token, principal: { role, name: `${role}:${name}`, siteId: siteId ?? null } });
  }
  const seen = new Set<string>();
  for (const t of out) {
    if (seen.has(t.token)) problems.push(`${variable} has the same token twice`);
    seen.add(t.token);
  }
  if (out.length === 0) problems.push(`${variable} names no token`);
  return out;
};

