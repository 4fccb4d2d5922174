// The operator CLI (`npm run ops`): arguments become a command or a list of every mistake, and
// control's answers print as the console shows them, whatever fields are missing.
import { describe, expect, it } from 'vitest';
import { parseOpsArgs } from '../../../../services/operational/control/ops-args.ts';
import { formatEventDetail, formatEventList, formatRefusal, kw } from '../../../../services/operational/control/ops-format.ts';

describe('npm run ops arguments', () => {
  it('reads list, show, cancel and dispatch', () => {
    expect(parseOpsArgs(['events', 'list', '--json'])).toEqual({ ok: true, value: { command: { kind: 'list' }, json: true, url: null, token: null } });
    expect(parseOpsArgs(['events', 'show', 'evt-1', '--url', 'http://c:1'])).toMatchObject({ ok: true, value: { command: { kind: 'show', eventId: 'evt-1' }, url: 'http://c:1' } });
    expect(parseOpsArgs(['events', 'cancel', 'evt-1', '--reason', 'peak passed'])).toMatchObject({ ok: true, value: { command: { kind: 'cancel', eventId: 'evt-1', reason: 'peak passed' } } });
    expect(parseOpsArgs(['events', 'dispatch', '--kind', 'STORM_WATCH', '--scope', 'fleet', '--duration-min', '90', '--weather-cells', 'cell-1, cell-2', '--idempotency-key', 'k1'])).toEqual({
      ok: true,
      value: { json: false, url: null, token: null, command: { kind: 'dispatch', idempotencyKey: 'k1', body: { kind: 'STORM_WATCH', scopeAssetId: 'fleet', durationMin: 90, weatherCellIds: ['cell-1', 'cell-2'] } } },
    });
  });

  it('lists every mistake of a dispatch at once', () => {
    expect(parseOpsArgs(['events', 'dispatch', '--kind', 'BOOST', '--target-mw', 'five'])).toEqual({
      ok: false,
      error: [
        '--kind: one of VPP_DISPATCH, CHARGE, DEMAND_PEAK, STORM_WATCH, OUTAGE',
        '--scope: the asset id at the root of the subtree (fleet, region, substation, feeder or site)',
        '--target-mw five: not a number',
        'give --duration-min or --end-ms',
      ],
    });
    expect(parseOpsArgs(['events', 'show'])).toEqual({ ok: false, error: ['events show needs an event id'] });
    expect(parseOpsArgs(['fleet'])).toEqual({ ok: false, error: ["unknown command fleet: the CLI has 'events'"] });
    const unknown = parseOpsArgs(['events', 'list', '--colour']);
    expect(unknown.ok).toBe(false);
    expect(parseOpsArgs(['--help'])).toMatchObject({ ok: true, value: { command: { kind: 'help' } } });
  });
});

describe('npm run ops output', () => {
  const summary = { event: { eventId: 'evt-1', kind: 'VPP_DISPATCH', scopeAssetId: 'feeder-0003', targetMw: 5, startMs: Date.UTC(2026, 11, 2, 17, 0), endMs: Date.UTC(2026, 11, 2, 18, 0), issuedBy: 'operator:alice', reason: 'evening peak' }, status: 'ACTIVE', allocatedKw: 5000, shortfallKw: 0, sites: 1201 };

  it('lists events as a table with units and UTC times', () => {
    const text = formatEventList({ events: [summary] });
    expect(text).toMatch(/^event +\| kind +\| scope/);
    expect(text).toContain('evt-1 | VPP_DISPATCH | feeder-0003 | ACTIVE | 5 MW   | 5.00 MW   | 0.0 kW    |  1201 | 2026-12-02 17:00 UTC | 2026-12-02 18:00 UTC | operator:alice');
    expect(text).toContain('(1 row)');
  });

  it('shows target against measured response, delivery and rejections', () => {
    const text = formatEventDetail({
      ...summary,
      dropped: [],
      fulfillment: { targetKw: 5000, responseKw: 4870.2, deliveredSites: 1198, targetedSites: 1201, commands: { issued: 1210, sent: 3, accepted: 1180, rejected: 2, completed: 25, expired: 0 }, rejections: [{ siteId: 'site-000431', reason: 'unsafe: reserve below the floor' }] },
    });
    expect(text).toContain('target      5.00 MW; measured response 4.87 MW (97 %)');
    expect(text).toContain('delivered   1198/1201 sites (100 %)');
    expect(text).toContain('commands    issued 1210, sent 3, accepted 1180, rejected 2, completed 25, expired 0');
    expect(text).toContain('site-000431: unsafe: reserve below the floor');
  });

  it('prints "-" for what control did not send, and refusals as code and message', () => {
    expect(formatEventDetail({})).toContain('target      -; measured response - (-)');
    expect(formatRefusal(422, { code: 'TARGET_EXCEEDS_HEADROOM', message: 'the scope can deliver 2.1 MW' })).toBe('422 TARGET_EXCEEDS_HEADROOM: the scope can deliver 2.1 MW');
    expect(formatRefusal(502, '<html>')).toBe('control answered 502');
    expect(kw(-1500)).toBe('-1.50 MW');
  });
});
