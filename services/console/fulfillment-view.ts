/**
 * The dispatch panel's view model, from control's event list and detail (docs/control.md). Pure.
 * The chart plots the target against the measured response in kW over time; the summary says how
 * far the response got, and the command counts say what the devices answered.
 */

export interface EventSummary {
  readonly eventId: string;
  readonly kind: string;
  readonly scopeAssetId: string;
  readonly status: string;
  readonly targetKw: number | null;
  readonly startMs: number;
  readonly endMs: number;
  readonly issuedBy: string;
  readonly allocatedKw: number | null;
  readonly shortfallKw: number | null;
  readonly sites: number;
}

export interface FulfillmentDetail {
  readonly eventId: string;
  readonly targetKw: number | null;
  readonly responseKw: number;
  readonly commands: { readonly issued: number; readonly sent: number; readonly accepted: number; readonly rejected: number; readonly completed: number; readonly expired: number };
  readonly deliveredSites: number;
  readonly targetedSites: number;
  readonly rejections: ReadonlyArray<{ readonly siteId: string; readonly reason: string | null }>;
  readonly samples: ReadonlyArray<{ readonly atMs: number; readonly responseKw: number }>;
}

const rec = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {});
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown, d = ''): string => (typeof v === 'string' ? v : d);

/** One entry of GET /v1/events (or the top of a detail). targetMw on the event becomes kW. */
export const parseEventSummary = (json: unknown): EventSummary | null => {
  const o = rec(json);
  const e = rec(o['event']);
  if (typeof e['eventId'] !== 'string') return null;
  const targetMw = num(e['targetMw']);
  return {
    eventId: e['eventId'],
    kind: str(e['kind']),
    scopeAssetId: str(e['scopeAssetId']),
    status: str(o['status'], 'UNKNOWN'),
    targetKw: targetMw === null ? null : targetMw * 1000,
    startMs: num(e['startMs']) ?? 0,
    endMs: num(e['endMs']) ?? 0,
    issuedBy: str(e['issuedBy']),
    allocatedKw: num(o['allocatedKw']),
    shortfallKw: num(o['shortfallKw']),
    sites: num(o['sites']) ?? 0,
  };
};

export const parseFulfillment = (eventId: string, json: unknown): FulfillmentDetail => {
  const f = rec(rec(json)['fulfillment']);
  const c = rec(f['commands']);
  const count = (k: string): number => num(c[k]) ?? 0;
  const samples = Array.isArray(f['samples']) ? (f['samples'] as unknown[]) : [];
  const rejections = Array.isArray(f['rejections']) ? (f['rejections'] as unknown[]) : [];
  return {
    eventId,
    targetKw: num(f['targetKw']),
    responseKw: num(f['responseKw']) ?? 0,
    commands: { issued: count('issued'), sent: count('sent'), accepted: count('accepted'), rejected: count('rejected'), completed: count('completed'), expired: count('expired') },
    deliveredSites: num(f['deliveredSites']) ?? 0,
    targetedSites: num(f['targetedSites']) ?? 0,
    rejections: rejections.slice(0, 20).map((r) => ({ siteId: str(rec(r)['siteId']), reason: typeof rec(r)['reason'] === 'string' ? str(rec(r)['reason']) : null })),
    samples: samples.flatMap((s) => {
      const at = num(rec(s)['atMs']);
      const kw = num(rec(s)['responseKw']);
      return at === null || kw === null ? [] : [{ atMs: at, responseKw: kw }];
    }),
  };
};

export interface ChartSeries {
  /** Measured response, kW, at each sample time (UTC ms). */
  readonly measured: ReadonlyArray<{ x: number; y: number }>;
  /** The target as a flat line over the same span; empty for protective events. */
  readonly target: ReadonlyArray<{ x: number; y: number }>;
}

/**
 * The chart's lines. The measured line ends with the current response at `nowMs` (the detail's
 * responseKw is newer than its last sample bucket); the target spans from the event's start (or
 * the first sample) to the last point.
 */
export const chartSeries = (d: FulfillmentDetail, e: Pick<EventSummary, 'startMs'>, nowMs: number): ChartSeries => {
  const measured = d.samples.map((s) => ({ x: s.atMs, y: s.responseKw }));
  const last = measured.at(-1);
  if (last === undefined || nowMs > last.x) measured.push({ x: Math.max(nowMs, last?.x ?? nowMs), y: d.responseKw });
  const from = Math.min(e.startMs, measured[0]?.x ?? e.startMs);
  const to = measured.at(-1)?.x ?? nowMs;
  const target = d.targetKw === null ? [] : [{ x: from, y: d.targetKw }, { x: Math.max(to, from), y: d.targetKw }];
  return { measured, target };
};

/** Share of the target met now, 0..∞ (null without a target). */
export const metShare = (d: FulfillmentDetail): number | null => (d.targetKw === null || d.targetKw === 0 ? null : d.responseKw / d.targetKw);

export const isOpen = (status: string): boolean => status === 'ACTIVE' || status === 'SCHEDULED';

export const EventKinds = ['VPP_DISPATCH', 'CHARGE', 'DEMAND_PEAK', 'STORM_WATCH', 'OUTAGE'] as const;
export type EventKind = (typeof EventKinds)[number];

export interface DispatchForm {
  readonly kind: string;
  readonly scopeAssetId: string;
  readonly targetMw: string;
  readonly durationMin: string;
  readonly reason: string;
}

/**
 * The form as control's create-event body, or every problem with it (the page shows them before
 * sending; control checks again).
 */
export const dispatchBody = (f: DispatchForm): { ok: true; value: Record<string, unknown> } | { ok: false; errors: string[] } => {
  const errors: string[] = [];
  const kind = EventKinds.find((k) => k === f.kind);
  if (kind === undefined) errors.push(`kind must be one of ${EventKinds.join(', ')}`);
  const scope = f.scopeAssetId.trim();
  if (scope === '') errors.push('pick a scope in the fleet tree or type an asset id');
  const needsTarget = kind === 'VPP_DISPATCH' || kind === 'CHARGE';
  const target = f.targetMw.trim() === '' ? null : Number(f.targetMw);
  if (target !== null && !(Number.isFinite(target) && target > 0 && target <= 100_000)) errors.push('target must be a number of MW above 0');
  if (needsTarget && target === null) errors.push(`a ${kind} needs a target in MW`);
  const duration = Number(f.durationMin);
  if (!(Number.isInteger(duration) && duration >= 1 && duration <= 7 * 24 * 60)) errors.push('duration must be whole minutes from 1 to 10080 (7 days)');
  if (errors.length > 0) return { ok: false, errors };
  const body: Record<string, unknown> = { kind, scopeAssetId: scope, durationMin: duration };
  if (target !== null && kind !== 'STORM_WATCH' && kind !== 'OUTAGE') body['targetMw'] = target;
  if (f.reason.trim() !== '') body['reason'] = f.reason.trim().slice(0, 500);
  return { ok: true, value: body };
};
