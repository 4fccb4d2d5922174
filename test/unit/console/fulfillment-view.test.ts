import { describe, expect, it } from 'vitest';
import { chartSeries, dispatchBody, metShare, parseEventSummary, parseFulfillment } from '../../../services/console/fulfillment-view.ts';

const detail = {
  event: { eventId: 'evt-1', kind: 'VPP_DISPATCH', scopeAssetId: 'region-01', targetMw: 2, startMs: 1000, endMs: 10_000, issuedBy: 'operator:alice' },
  status: 'ACTIVE', allocatedKw: 2000, shortfallKw: 0, sites: 8,
  fulfillment: {
    targetKw: 2000, responseKw: 1999.5,
    commands: { issued: 8, sent: 0, accepted: 7, rejected: 1, completed: 0, expired: 0 },
    deliveredSites: 8, targetedSites: 8,
    rejections: [{ siteId: 's-1', commandId: 'c', reason: 'unsafe' }],
    samples: [{ atMs: 2000, responseKw: 500 }, { atMs: 3000, responseKw: 1500 }, { atMs: 'x', responseKw: 1 }],
  },
};

describe('fulfillment view model', () => {
  it('event summaries carry the target in kW', () => {
    expect(parseEventSummary(detail)).toEqual({
      eventId: 'evt-1', kind: 'VPP_DISPATCH', scopeAssetId: 'region-01', status: 'ACTIVE', targetKw: 2000, startMs: 1000, endMs: 10_000,
      issuedBy: 'operator:alice', allocatedKw: 2000, shortfallKw: 0, sites: 8,
    });
    expect(parseEventSummary({ event: { kind: 'X' } })).toBeNull();
    expect(parseEventSummary({ event: { eventId: 'e', targetMw: null } })?.targetKw).toBeNull();
  });

  it('the detail drops malformed samples', () => {
    const d = parseFulfillment('evt-1', detail);
    expect(d.samples).toEqual([{ atMs: 2000, responseKw: 500 }, { atMs: 3000, responseKw: 1500 }]);
    expect(d.commands.rejected).toBe(1);
    expect(d.rejections).toEqual([{ siteId: 's-1', reason: 'unsafe' }]);
    expect(metShare(d)).toBeCloseTo(0.99975);
  });

  it('the measured line ends at the current response; the target spans the same time', () => {
    const d = parseFulfillment('evt-1', detail);
    const s = chartSeries(d, { startMs: 1000 }, 4000);
    expect(s.measured).toEqual([{ x: 2000, y: 500 }, { x: 3000, y: 1500 }, { x: 4000, y: 1999.5 }]);
    expect(s.target).toEqual([{ x: 1000, y: 2000 }, { x: 4000, y: 2000 }]);
    // Protective events have no target line.
    expect(chartSeries({ ...d, targetKw: null }, { startMs: 1000 }, 4000).target).toEqual([]);
    // No samples yet: one point now.
    expect(chartSeries({ ...d, samples: [] }, { startMs: 1000 }, 4000).measured).toEqual([{ x: 4000, y: 1999.5 }]);
  });

  it('the dispatch form becomes control\'s body, or every problem with it', () => {
    expect(dispatchBody({ kind: 'VPP_DISPATCH', scopeAssetId: ' region-01 ', targetMw: '2', durationMin: '30', reason: '' })).toEqual({
      ok: true, value: { kind: 'VPP_DISPATCH', scopeAssetId: 'region-01', targetMw: 2, durationMin: 30 },
    });
    expect(dispatchBody({ kind: 'STORM_WATCH', scopeAssetId: 'fleet', targetMw: '5', durationMin: '60', reason: 'front' })).toEqual({
      ok: true, value: { kind: 'STORM_WATCH', scopeAssetId: 'fleet', durationMin: 60, reason: 'front' },
    });
    const bad = dispatchBody({ kind: 'VPP_DISPATCH', scopeAssetId: '', targetMw: '', durationMin: '0.5', reason: '' });
    expect(bad).toEqual({ ok: false, errors: ['pick a scope in the fleet tree or type an asset id', 'a VPP_DISPATCH needs a target in MW', 'duration must be whole minutes from 1 to 10080 (7 days)'] });
    expect(dispatchBody({ kind: 'VPP_DISPATCH', scopeAssetId: 'r', targetMw: '-1', durationMin: '5', reason: '' }).ok).toBe(false);
    expect(dispatchBody({ kind: 'NUKE', scopeAssetId: 'r', targetMw: '1', durationMin: '5', reason: '' }).ok).toBe(false);
  });
});
