import { describe, expect, it } from 'vitest';
import { cutShort, findNode, mapPoints, parseSubtree, siteOnly, siteStatus, treeRows, type FleetNode } from '../../../services/console/fleet-view.ts';

const agg = (extra: Record<string, number> = {}) => ({
  availableEnergyKwh: 8, chargeHeadroomKw: 5, dischargeHeadroomKw: 5, solarKw: 1, loadKw: 2, gridKw: 1, batteryKw: 0, onlineCount: 1, deviceCount: 1, alarmCount: 0, ...extra,
});
const site = (id: string, soc: number | null, online = true, extra: Record<string, number> = {}) => ({
  assetId: id, kind: 'SITE', name: id, parentId: null, aggregate: agg(extra), updatedAtMs: 1,
  state: { online, socPct: soc, lastSeenMs: 5 }, environment: { forecast: { issuedAtMs: 42 } }, children: [],
});
const apiTree = {
  assetId: 'fleet', kind: 'FLEET', name: 'Fleet', aggregate: agg({ deviceCount: 3 }), state: null,
  children: [
    { assetId: 'region-01', kind: 'REGION', name: 'North', aggregate: agg({ deviceCount: 2 }), state: null, children: [site('site-1', 20), site('site-2', 80, true, { alarmCount: 1 })] },
    { assetId: 'region-02', kind: 'REGION', name: 'South', aggregate: agg(), state: null, children: [site('site-3', 55, false)] },
  ],
};

const parsed = (): FleetNode => {
  const r = parseSubtree(apiTree);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

describe('fleet view model', () => {
  it('narrows the read API subtree', () => {
    const root = parsed();
    expect(root.children.map((c) => c.assetId)).toEqual(['region-01', 'region-02']);
    const s1 = findNode(root, 'site-1');
    expect(s1).toMatchObject({ kind: 'SITE', online: true, socPct: 20, forecastIssuedAtMs: 42, lastSeenMs: 5 });
    expect(root.online).toBeNull();
  });

  it('says where the shape is wrong', () => {
    const r = parseSubtree({ ...apiTree, children: [{ assetId: 'region-01' }] });
    expect(r).toEqual({ ok: false, error: 'root.children[0] (region-01): no aggregate' });
    expect(parseSubtree('nope').ok).toBe(false);
  });

  it('rows follow what is expanded', () => {
    const root = parsed();
    expect(treeRows(root, new Set()).map((r) => r.assetId)).toEqual(['fleet']);
    expect(treeRows(root, new Set(['fleet'])).map((r) => [r.assetId, r.depth])).toEqual([['fleet', 0], ['region-01', 1], ['region-02', 1]]);
    const open = treeRows(root, new Set(['fleet', 'region-02']));
    expect(open.map((r) => r.assetId)).toEqual(['fleet', 'region-01', 'region-02', 'site-3']);
    expect(open.find((r) => r.assetId === 'region-02')?.expanded).toBe(true);
    expect(open.find((r) => r.assetId === 'site-3')?.hasChildren).toBe(false);
  });

  it('a filter shows the matches and their ancestors, by id or name, whatever is expanded', () => {
    const root = parsed();
    expect(treeRows(root, new Set(), 'site-2').map((r) => r.assetId)).toEqual(['fleet', 'region-01', 'site-2']);
    expect(treeRows(root, new Set(), 'south').map((r) => r.assetId)).toEqual(['fleet', 'region-02']);
    expect(treeRows(root, new Set(), 'nothing-like-this')).toEqual([]);
  });

  it('site status: offline and alarms win over charge bands', () => {
    const root = parsed();
    const status = (id: string) => siteStatus(findNode(root, id) as FleetNode);
    expect(status('site-1')).toBe('low');
    expect(status('site-2')).toBe('alarm');
    expect(status('site-3')).toBe('offline');
    expect(status('region-01')).toBe('unknown');
  });

  it('map points for sites with a location; the rest are counted', () => {
    const { points, unplaced } = mapPoints(parsed(), new Map([['site-1', { latitudeDeg: 52, longitudeDeg: 4.5 }], ['site-3', { latitudeDeg: 51, longitudeDeg: 5 }]]));
    expect(points).toEqual([{ siteId: 'site-1', x: 4.5, y: 52, status: 'low', socPct: 20 }, { siteId: 'site-3', x: 5, y: 51, status: 'offline', socPct: 55 }]);
    expect(unplaced).toBe(1);
  });

  it('a branch with devices but no children was cut by the read API', () => {
    expect(cutShort(parsed())).toBe(false);
    const cut = parseSubtree({ ...apiTree, children: [{ ...apiTree.children[0], children: [] }] });
    if (!cut.ok) throw new Error(cut.error);
    expect(cutShort(cut.value)).toBe(true);
  });

  it('a customer gets their own site and nothing else', () => {
    expect(siteOnly(parsed(), 'site-2')?.assetId).toBe('site-2');
    expect(siteOnly(parsed(), 'region-01')).toBeNull();
    expect(siteOnly(parsed(), 'site-9')).toBeNull();
  });
});
