/**
 * What each role may see and do in the console. Control enforces the same rules on every call
 * (the console forwards the user's token); these decide what the page shows or disables, so a
 * viewer sees the dispatch button disabled instead of a 403 after clicking it.
 *
 * Control has no "who am I" endpoint, so the console learns a token's role by asking control
 * questions whose answers differ by role and change nothing (`roleFromProbes`):
 * - GET /v1/events: 200 for operators and viewers, 403 for customers, 401 for unknown tokens;
 * - POST /v1/events/{unknown}/cancel: 404 for an operator (authorized, no such event), 403 for a viewer;
 * - a customer's site: GET /v1/sites/{id} is 200 only with that site's token.
 */

export const ConsoleRoles = { operator: 'operator', viewer: 'viewer', customer: 'customer' } as const;
export type ConsoleRole = (typeof ConsoleRoles)[keyof typeof ConsoleRoles];

export interface Capabilities {
  readonly seeFleet: boolean;
  readonly seeEvents: boolean;
  readonly dispatch: boolean;
  readonly cancel: boolean;
  readonly seeForecasts: boolean;
  readonly seeHealth: boolean;
  /** Customers: their one site, its events and opt-outs. */
  readonly ownSite: boolean;
}

export const capabilitiesOf = (role: ConsoleRole): Capabilities => {
  switch (role) {
    case 'operator':
      return { seeFleet: true, seeEvents: true, dispatch: true, cancel: true, seeForecasts: true, seeHealth: true, ownSite: false };
    case 'viewer':
      return { seeFleet: true, seeEvents: true, dispatch: false, cancel: false, seeForecasts: true, seeHealth: true, ownSite: false };
    case 'customer':
      return { seeFleet: false, seeEvents: false, dispatch: false, cancel: false, seeForecasts: false, seeHealth: false, ownSite: true };
  }
};

/** Why a disabled control is disabled, for its tooltip and the screen reader. */
export const dispatchRefusal = (role: ConsoleRole): string | null => (role === 'operator' ? null : `a ${role} may not create or cancel grid events`);

export type SignIn =
  | { readonly ok: true; readonly role: ConsoleRole; readonly siteId: string | null }
  | { readonly ok: false; readonly status: number; readonly message: string };

/**
 * The role of a token from control's answers (HTTP statuses). `cancelProbe` is asked only when
 * the events list was allowed; `siteProbe` only for a customer who named their site.
 */
export const roleFromProbes = (p: { events: number; cancelProbe: number | null; siteProbe: number | null; siteId: string | null }): SignIn => {
  if (p.events === 401) return { ok: false, status: 401, message: 'control does not know this token' };
  if (p.events === 200) {
    if (p.cancelProbe === 403) return { ok: true, role: 'viewer', siteId: null };
    if (p.cancelProbe === 404 || p.cancelProbe === 409) return { ok: true, role: 'operator', siteId: null };
    return { ok: false, status: 502, message: `control answered the role check with ${String(p.cancelProbe)}` };
  }
  if (p.events === 403) {
    if (p.siteId === null) return { ok: false, status: 400, message: 'this is a customer token: enter your site id too' };
    if (p.siteProbe === 200) return { ok: true, role: 'customer', siteId: p.siteId };
    return { ok: false, status: 403, message: `this token does not control ${p.siteId}` };
  }
  return { ok: false, status: 502, message: `control answered ${p.events}` };
};

/** A sign-in form's input, checked before anything is sent to control. */
export const parseSignIn = (body: unknown): { ok: true; token: string; siteId: string | null } | { ok: false; message: string } => {
  if (typeof body !== 'object' || body === null) return { ok: false, message: 'body must be {"token": "...", "siteId": "..." (customers)}' };
  const b = body as Record<string, unknown>;
  const token = typeof b['token'] === 'string' ? b['token'].trim() : '';
  const siteRaw = typeof b['siteId'] === 'string' ? b['siteId'].trim() : '';
  const problems: string[] = [];
  if (token.length < 8 || token.length > 512 || /\s/.test(token)) problems.push('token must be 8 to 512 characters without spaces');
  if (siteRaw !== '' && !/^[A-Za-z0-9._-]{1,128}$/.test(siteRaw)) problems.push('siteId may hold letters, digits, ".", "_" and "-" only');
  if (problems.length > 0) return { ok: false, message: problems.join('; ') };
  return { ok: true, token, siteId: siteRaw === '' ? null : siteRaw };
};
