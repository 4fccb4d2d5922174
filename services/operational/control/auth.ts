/**
 * Who may do what. Tokens come from config; a principal is what a token proves. Pure: the HTTP
 * layer asks `authorize` and answers 401/403 from its result.
 *
 * - operator: read everything, create and cancel events;
 * - viewer: read events and fulfillment;
 * - customer: scoped to one site: read that site's choices, opt it out of events, set its reserve.
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

export type Action =
  | { readonly kind: 'read-events' }
  | { readonly kind: 'dispatch' }
  | { readonly kind: 'site'; readonly siteId: string };

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

export const authorize = (p: Principal, action: Action): { ok: true } | { ok: false; message: string } => {
  switch (action.kind) {
    case 'read-events':
      return p.role === 'customer' ? { ok: false, message: 'customers see their own site under /v1/sites/{siteId}' } : { ok: true };
    case 'dispatch':
      return p.role === 'operator' ? { ok: true } : { ok: false, message: `a ${p.role} may not create or cancel grid events` };
    case 'site':
      if (p.role === 'customer' && p.siteId === action.siteId) return { ok: true };
      return { ok: false, message: p.role === 'customer' ? `this token controls ${p.siteId ?? 'no site'}, not ${action.siteId}` : 'only the site\'s customer may change its choices' };
  }
};
