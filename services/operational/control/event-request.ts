/**
 * Validation of an operator's event request (POST /v1/events) into a grid event. Pure: the
 * identity, id and time come in as arguments.
 *
 * Body: {kind, scopeAssetId, targetMw?, startMs?, endMs? | durationMin?, weatherCellIds?, reason?}
 * - kind VPP_DISPATCH (discharge targetMw > 0), CHARGE (absorb targetMw > 0: published as a
 *   VPP_DISPATCH with a negative targetMw), DEMAND_PEAK (targetMw optional: without it every
 *   site cuts its own import), STORM_WATCH (weatherCellIds optional), OUTAGE;
 * - startMs defaults to now; the window is at most 7 days. Whether it still leaves time to deliver
 *   its commands is the use case's call (CTRL_WINDOW_ENDED), not a matter of form.
 */
import type { GridEvent } from '../../platform/events.ts';
import { err, ok, type Result } from '../../platform/result.ts';

export const RequestKinds = ['VPP_DISPATCH', 'CHARGE', 'DEMAND_PEAK', 'STORM_WATCH', 'OUTAGE'] as const;
export type RequestKind = (typeof RequestKinds)[number];

const MAX_WINDOW_MS = 7 * 86_400_000;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export const parseEventRequest = (body: unknown, ctx: { eventId: string; issuedBy: string; nowMs: number }): Result<GridEvent, string[]> => {
  if (!isRecord(body)) return err(['body must be a JSON object']);
  const problems: string[] = [];
  const kind = RequestKinds.find((k) => k === body['kind']);
  if (kind === undefined) problems.push(`kind must be one of ${RequestKinds.join(', ')}`);
  const scope = body['scopeAssetId'];
  if (typeof scope !== 'string' || scope === '') problems.push('scopeAssetId must name an asset (the root of the subtree)');
  const target = body['targetMw'];
  const needsTarget = kind === 'VPP_DISPATCH' || kind === 'CHARGE';
  if (target !== undefined && target !== null && !(num(target) && target > 0)) problems.push('targetMw must be a number above 0 (CHARGE absorbs it, the others deliver it)');
  if (needsTarget && (target === undefined || target === null)) problems.push(`${kind} needs targetMw`);
  const startMs = body['startMs'] ?? ctx.nowMs;
  if (!num(startMs)) problems.push('startMs must be epoch milliseconds');
  const endRaw = body['endMs'];
  const dur = body['durationMin'];
  let endMs = Number.NaN;
  if (num(endRaw)) endMs = endRaw;
  else if (num(dur) && dur > 0 && num(startMs)) endMs = startMs + dur * 60_000;
  else problems.push('endMs (epoch ms) or durationMin (> 0) is required');
  if (num(startMs) && Number.isFinite(endMs)) {
    if (endMs <= startMs) problems.push('the window must end after it starts');
    if (endMs - startMs > MAX_WINDOW_MS) problems.push('the window may be at most 7 days');
  }
  const cells = body['weatherCellIds'] ?? [];
  if (!Array.isArray(cells) || !cells.every((c): c is string => typeof c === 'string' && c !== '')) problems.push('weatherCellIds must be an array of cell ids');
  else if (cells.length > 0 && kind !== 'STORM_WATCH') problems.push('weatherCellIds applies to STORM_WATCH only');
  const reason = body['reason'] ?? null;
  if (reason !== null && (typeof reason !== 'string' || reason.length > 500)) problems.push('reason must be text of at most 500 characters');
  if (problems.length > 0 || kind === undefined || typeof scope !== 'string' || !num(startMs)) return err(problems);
  const targetMw = num(target) ? (kind === 'CHARGE' ? -target : target) : null;
  return ok({
    eventId: ctx.eventId,
    kind: kind === 'CHARGE' ? 'VPP_DISPATCH' : kind,
    scopeAssetId: scope,
    targetMw,
    startMs,
    endMs,
    issuedBy: ctx.issuedBy,
    issuedAtMs: ctx.nowMs,
    cancelsEventId: null,
    reason: reason as string | null,
    weatherCellIds: Array.isArray(cells) ? (cells as string[]) : [],
  });
};

/** The CANCEL record of an event. */
export const cancelEventOf = (target: GridEvent, ctx: { eventId: string; issuedBy: string; nowMs: number; reason: string | null }): GridEvent => ({
  eventId: ctx.eventId,
  kind: 'CANCEL',
  scopeAssetId: target.scopeAssetId,
  targetMw: null,
  startMs: ctx.nowMs,
  endMs: Math.max(ctx.nowMs + 1, target.endMs),
  issuedBy: ctx.issuedBy,
  issuedAtMs: ctx.nowMs,
  cancelsEventId: target.eventId,
  reason: ctx.reason,
  weatherCellIds: [],
});
