import { describe, expect, it } from 'vitest';
import { capabilitiesOf, dispatchRefusal, parseSignIn, roleFromProbes } from '../../../services/console/roles.ts';

describe('role rules', () => {
  it('only operators dispatch and cancel; customers see only their site', () => {
    expect(capabilitiesOf('operator')).toMatchObject({ seeFleet: true, dispatch: true, cancel: true, ownSite: false });
    expect(capabilitiesOf('viewer')).toMatchObject({ seeFleet: true, seeEvents: true, dispatch: false, cancel: false, seeForecasts: true, ownSite: false });
    expect(capabilitiesOf('customer')).toEqual({ seeFleet: false, seeEvents: false, dispatch: false, cancel: false, seeForecasts: false, seeHealth: false, ownSite: true });
    expect(dispatchRefusal('operator')).toBeNull();
    expect(dispatchRefusal('viewer')).toBe('a viewer may not create or cancel grid events');
  });

  it('learns the role from control\'s answers', () => {
    expect(roleFromProbes({ events: 200, cancelProbe: 404, siteProbe: null, siteId: null })).toEqual({ ok: true, role: 'operator', siteId: null });
    expect(roleFromProbes({ events: 200, cancelProbe: 403, siteProbe: null, siteId: null })).toEqual({ ok: true, role: 'viewer', siteId: null });
    expect(roleFromProbes({ events: 403, cancelProbe: null, siteProbe: 200, siteId: 'site-1' })).toEqual({ ok: true, role: 'customer', siteId: 'site-1' });
  });

  it('refuses unknown tokens, customers of another site, and answers it cannot read', () => {
    expect(roleFromProbes({ events: 401, cancelProbe: null, siteProbe: null, siteId: null })).toMatchObject({ ok: false, status: 401 });
    expect(roleFromProbes({ events: 403, cancelProbe: null, siteProbe: 403, siteId: 'site-2' })).toMatchObject({ ok: false, status: 403, message: 'this token does not control site-2' });
    expect(roleFromProbes({ events: 403, cancelProbe: null, siteProbe: null, siteId: null })).toMatchObject({ ok: false, status: 400 });
    // A probe answer that fits no role (e.g. control failing) is never taken as an operator.
    expect(roleFromProbes({ events: 200, cancelProbe: 503, siteProbe: null, siteId: null })).toMatchObject({ ok: false, status: 502 });
    expect(roleFromProbes({ events: 500, cancelProbe: null, siteProbe: null, siteId: null })).toMatchObject({ ok: false, status: 502 });
  });

  it('checks the sign-in form and names every problem', () => {
    expect(parseSignIn({ token: ' dev-operator-token ', siteId: '' })).toEqual({ ok: true, token: 'dev-operator-token', siteId: null });
    expect(parseSignIn({ token: 'dev-customer-token', siteId: 'site-000001' })).toEqual({ ok: true, token: 'dev-customer-token', siteId: 'site-000001' });
    const bad = parseSignIn({ token: 'short', siteId: '../etc' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.message).toContain('token must be 8 to 512 characters');
      expect(bad.message).toContain('siteId may hold');
    }
    expect(parseSignIn('token').ok).toBe(false);
    expect(parseSignIn({ token: 'has a space in it' }).ok).toBe(false);
  });
});
