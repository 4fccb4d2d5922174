/**
 * The fleet panel's view model, from the assets read API's subtree (docs/assets.md) and the
 * registry's site locations. Pure: the server narrows the JSON with `parseSubtree`, the page turns
 * the tree into rows (`treeRows`) and the map into points (`mapPoints`).
 */

export interface NodeAggregate {
  readonly availableEnergyKwh: number;
  readonly chargeHeadroomKw: number;
  readonly dischargeHeadroomKw: number;
  readonly solarKw: number;
  readonly loadKw: number;
  readonly gridKw: number;
  readonly batteryKw: number;
  readonly onlineCount: number;
  readonly deviceCount: number;
  readonly alarmCount: number;
}

export interface FleetNode {
  readonly assetId: string;
  readonly kind: string;
  readonly name: string;
  readonly online: boolean | null;
  readonly socPct: number | null;
  readonly aggregate: NodeAggregate;
  /** Sites: newest forecast bundle issue time (UTC ms) from the assets' environment, if any. */
  readonly forecastIssuedAtMs: number | null;
  readonly lastSeenMs: number | null;
  readonly children: readonly FleetNode[];
}

const AGG_FIELDS = ['availableEnergyKwh', 'chargeHeadroomKw', 'dischargeHeadroomKw', 'solarKw', 'loadKw', 'gridKw', 'batteryKw', 'onlineCount', 'deviceCount', 'alarmCount'] as const;

const rec = (v: unknown): Record<string, unknown> | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Narrows one node of GET /v1/assets/{id}/subtree; anything malformed becomes an error naming it. */
export const parseSubtree = (json: unknown, path = 'root'): { ok: true; value: FleetNode } | { ok: false; error: string } => {
  const o = rec(json);
  if (o === null || typeof o['assetId'] !== 'string') return { ok: false, error: `${path}: not an asset view` };
  const a = rec(o['aggregate']);
  if (a === null) return { ok: false, error: `${path} (${o['assetId']}): no aggregate` };
  const agg: Record<string, number> = {};
  for (const f of AGG_FIELDS) agg[f] = num(a[f]) ?? 0;
  const state = rec(o['state']);
  const env = rec(o['environment']);
  const forecast = env === null ? null : rec(env['forecast']);
  const children: FleetNode[] = [];
  const rawChildren = Array.isArray(o['children']) ? (o['children'] as unknown[]) : [];
  for (const [i, c] of rawChildren.entries()) {
    const r = parseSubtree(c, `${path}.children[${i}]`);
    if (!r.ok) return r;
    children.push(r.value);
  }
  return {
    ok: true,
    value: {
      assetId: o['assetId'],
      kind: typeof o['kind'] === 'string' ? o['kind'] : 'UNKNOWN',
      name: typeof o['name'] === 'string' ? o['name'] : o['assetId'],
      online: state === null ? null : state['online'] === true,
      socPct: state === null ? null : num(state['socPct']),
      aggregate: agg as unknown as NodeAggregate,
      forecastIssuedAtMs: forecast === null ? null : num(forecast['issuedAtMs']),
      lastSeenMs: state === null ? null : num(state['lastSeenMs']),
      children,
    },
  };
};

export interface TreeRow {
  readonly assetId: string;
  readonly name: string;
  readonly kind: string;
  readonly depth: number;
  readonly hasChildren: boolean;
  readonly expanded: boolean;
  readonly node: FleetNode;
}

const matches = (n: FleetNode, q: string): boolean => n.assetId.toLowerCase().includes(q) || n.name.toLowerCase().includes(q);

/**
 * The visible rows of the tree: children of expanded nodes, in order. With a filter, the rows are
 * the matching nodes and their ancestors (expanded so the match shows), whatever was expanded.
 */
export const treeRows = (root: FleetNode, expanded: ReadonlySet<string>, filter = ''): TreeRow[] => {
  const q = filter.trim().toLowerCase();
  const rows: TreeRow[] = [];
  const keep = new Set<string>();
  if (q !== '') {
    const mark = (n: FleetNode, chain: readonly string[]): void => {
      if (matches(n, q)) for (const id of [...chain, n.assetId]) keep.add(id);
      for (const c of n.children) mark(c, [...chain, n.assetId]);
    };
    mark(root, []);
  }
  const walk = (n: FleetNode, depth: number): void => {
    if (q !== '' && !keep.has(n.assetId)) return;
    const open = q !== '' ? n.children.some((c) => keep.has(c.assetId)) : expanded.has(n.assetId);
    rows.push({ assetId: n.assetId, name: n.name, kind: n.kind, depth, hasChildren: n.children.length > 0, expanded: open && n.children.length > 0, node: n });
    if (open) for (const c of n.children) walk(c, depth + 1);
  };
  walk(root, 0);
  return rows;
};

export const findNode = (root: FleetNode, assetId: string): FleetNode | null => {
  if (root.assetId === assetId) return root;
  for (const c of root.children) {
    const f = findNode(c, assetId);
    if (f !== null) return f;
  }
  return null;
};

export const sitesOf = (root: FleetNode): FleetNode[] => (root.kind === 'SITE' ? [root] : root.children.flatMap(sitesOf));

export interface SiteLocation {
  readonly latitudeDeg: number;
  readonly longitudeDeg: number;
}

export const SiteStatuses = { offline: 'offline', alarm: 'alarm', low: 'low', mid: 'mid', high: 'high', unknown: 'unknown' } as const;
export type SiteStatus = (typeof SiteStatuses)[keyof typeof SiteStatuses];

/** Offline and alarms win over charge; charge bands: under 30 %, under 70 %, above. */
export const siteStatus = (n: FleetNode): SiteStatus => {
  if (n.online === null) return 'unknown';
  if (!n.online) return 'offline';
  if (n.aggregate.alarmCount > 0) return 'alarm';
  if (n.socPct === null) return 'unknown';
  return n.socPct < 30 ? 'low' : n.socPct < 70 ? 'mid' : 'high';
};

export const STATUS_COLOURS: Readonly<Record<SiteStatus, string>> = {
  offline: '#6b7280', alarm: '#dc2626', low: '#f59e0b', mid: '#3b82f6', high: '#16a34a', unknown: '#a3a3a3',
};

export const STATUS_LABELS: Readonly<Record<SiteStatus, string>> = {
  offline: 'offline', alarm: 'alarm', low: 'SoC under 30 %', mid: 'SoC 30–70 %', high: 'SoC 70 % and over', unknown: 'no state yet',
};

export interface MapPoint {
  readonly siteId: string;
  readonly x: number;
  readonly y: number;
  readonly status: SiteStatus;
  readonly socPct: number | null;
}

/** Sites with a known location, as (longitude, latitude) points; sites without one are counted. */
export const mapPoints = (root: FleetNode, locations: ReadonlyMap<string, SiteLocation>): { points: MapPoint[]; unplaced: number } => {
  const points: MapPoint[] = [];
  let unplaced = 0;
  for (const s of sitesOf(root)) {
    const l = locations.get(s.assetId);
    if (l === undefined) unplaced++;
    else points.push({ siteId: s.assetId, x: l.longitudeDeg, y: l.latitudeDeg, status: siteStatus(s), socPct: s.socPct });
  }
  return { points, unplaced };
};

/**
 * Whether a branch above the sites came back without its children although it has devices: the
 * read API cut the subtree at its node limit. (Sites' devices are below the tree's depth on
 * purpose, so the API's own `truncated` flag is always set and says nothing.)
 */
export const cutShort = (root: FleetNode): boolean =>
  root.kind !== 'SITE' && root.kind !== 'DEVICE' && (root.children.length === 0 ? root.aggregate.deviceCount > 0 : root.children.some(cutShort));

/** Only the customer's own site, or nothing: what a customer's stream may carry. */
export const siteOnly = (root: FleetNode, siteId: string): FleetNode | null => {
  const n = findNode(root, siteId);
  return n === null || n.kind !== 'SITE' ? null : { ...n, children: [] };
};

/** What the live stream sends for the fleet panel. */
export interface FleetSnapshot {
  readonly atMs: number;
  readonly root: FleetNode | null;
  readonly truncated: boolean;
  /** Why the newest poll failed (the tree then shows the last good one), or null. */
  readonly error: string | null;
  readonly points: readonly MapPoint[];
  readonly unplaced: number;
}
