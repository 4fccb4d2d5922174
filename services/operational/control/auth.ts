/**
 * Who may do what. Tokens come from config; a principal is what a token proves. Pure: the HTTP
 * layer asks `authorize` and answers 401/403 from its result.
 *
 * - operator: read everything, create and cancel events;
 * - viewer: read events and fulfillment;
 * - customer: scoped to one site: read that site's choices, opt it out of events, set its reserve.
 */
import type { Principal } from '../../platform/access-tokens.ts';

export { authenticate, Roles, type Principal, type Role, type TokenEntry } from '../../platform/access-tokens.ts';

export type Action =
  | { readonly kind: 'read-events' }
  | { readonly kind: 'dispatch' }
  | { readonly kind: 'site'; readonly siteId: string };

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
