import { describe, expect, it } from 'vitest';
import { authenticate, authorize, type Principal } from '../../../../services/operational/control/auth.ts';
import { DEV_CONTROL_TOKENS, parseControlConfig } from '../../../../services/operational/control/config.ts';
import { parseEventRequest } from '../../../../services/operational/control/event-request.ts';

const tokensEnv = 'operator:op-token-123:alice,viewer:view-token-123,customer:site-1:cust-token-123';

describe('control config and tokens', () => {
  it('parses roles, names and customer sites, and defaults to documented development tokens', () => {
    const c = parseControlConfig({ CONTROL_TOKENS: tokensEnv, CONTROL_PORT: '0' });
    expect(c.tokens.map((t) => [t.principal.role, t.principal.name, t.principal.siteId])).toEqual([
      ['operator', 'operator:alice', null], ['viewer', 'viewer:viewer-2', null], ['customer', 'customer:customer-site-1', 'site-1'],
    ]);
    expect(c.usesDevelopmentTokens).toBe(false);
    const d = parseControlConfig({});
    expect(d.port).toBe(8091);
    expect(d.usesDevelopmentTokens).toBe(true);
    expect(d.tokens.length).toBe(DEV_CONTROL_TOKENS.split(',').length);
  });

  it('lists every problem at once', () => {
    let message = '';
    try {
      parseControlConfig({ CONTROL_TOKENS: 'root:abcdefgh,viewer:short,customer::abcdefghij', CONTROL_PORT: 'x' });
    } catch (e) {
      message = e instanceof Error ? e.message : String(e);
    }
    for (const problem of ['CONTROL_PORT=x', '"root:..."', 'viewer token must be at least 8', 'customer:SITE_ID:TOKEN']) expect(message).toContain(problem);
  });
});

describe('auth', () => {
  const tokens = parseControlConfig({ CONTROL_TOKENS: tokensEnv }).tokens;
  const who = (t: string): Principal | null => authenticate(tokens, `Bearer ${t}`);

  it('knows a principal only from a valid bearer token', () => {
    expect(who('op-token-123')?.role).toBe('operator');
    expect(who('op-token-12')).toBeNull();
    expect(authenticate(tokens, undefined)).toBeNull();
    expect(authenticate(tokens, 'Basic op-token-123')).toBeNull();
  });

  it('lets operators dispatch, viewers only read, customers only their own site', () => {
    const op = who('op-token-123');
    const viewer = who('view-token-123');
    const customer = who('cust-token-123');
    if (op === null || viewer === null || customer === null) throw new Error('tokens');
    expect(authorize(op, { kind: 'dispatch' }).ok).toBe(true);
    expect(authorize(viewer, { kind: 'dispatch' }).ok).toBe(false);
    expect(authorize(viewer, { kind: 'read-events' }).ok).toBe(true);
    expect(authorize(customer, { kind: 'read-events' }).ok).toBe(false);
    expect(authorize(customer, { kind: 'dispatch' }).ok).toBe(false);
    expect(authorize(customer, { kind: 'site', siteId: 'site-1' }).ok).toBe(true);
    expect(authorize(customer, { kind: 'site', siteId: 'site-2' }).ok).toBe(false);
    expect(authorize(op, { kind: 'site', siteId: 'site-1' }).ok).toBe(false);
  });
});

describe('event requests', () => {
  const ctx = { eventId: 'evt-1', issuedBy: 'operator:alice', nowMs: 1_000_000 };
  it('turns a charge request into a dispatch with a negative target and fills the window from durationMin', () => {
    const r = parseEventRequest({ kind: 'CHARGE', scopeAssetId: 'region-1', targetMw: 2, durationMin: 30 }, ctx);
    expect(r.ok && [r.value.kind, r.value.targetMw, r.value.startMs, r.value.endMs]).toEqual(['VPP_DISPATCH', -2, 1_000_000, 1_000_000 + 1_800_000]);
  });
  it('names every problem of a bad request', () => {
    const r = parseEventRequest({ kind: 'NAP', targetMw: -1, weatherCellIds: [3] }, ctx);
    expect(r.ok ? [] : r.error).toEqual([
      'kind must be one of VPP_DISPATCH, CHARGE, DEMAND_PEAK, STORM_WATCH, OUTAGE',
      'scopeAssetId must name an asset (the root of the subtree)',
      'targetMw must be a number above 0 (CHARGE absorbs it, the others deliver it)',
      'endMs (epoch ms) or durationMin (> 0) is required',
      'weatherCellIds must be an array of cell ids',
    ]);
    // A window in the past is well-formed: the use case refuses it with CTRL_WINDOW_ENDED.
    const past = parseEventRequest({ kind: 'OUTAGE', scopeAssetId: 'f', startMs: 0, endMs: 10 }, ctx);
    expect(past.ok && past.value.endMs).toBe(10);
    const cells = parseEventRequest({ kind: 'STORM_WATCH', scopeAssetId: 'fleet', durationMin: 600, weatherCellIds: ['cell-1'] }, ctx);
    expect(cells.ok && cells.value.weatherCellIds).toEqual(['cell-1']);
  });
});
