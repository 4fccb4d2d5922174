/**
 * The demo's scripted grid-event day, driven through control's operator API as an operator
 * would: a demand-peak dispatch from one region, a storm watch over another region's weather
 * cells, and a short outage on a substation. At the end, each event's target against the fleet's
 * measured response (from the asset actors' state, as control tracks it).
 */
import type { FleetPlan } from '../edge/simulator/provision-plan.ts';

export interface ScriptedEvent {
  readonly atFraction: number;
  readonly label: string;
  readonly body: Record<string, unknown>;
}

/** The day's events for a fleet plan, as fractions of the demo's run (pure). */
export const gridEventDay = (plan: FleetPlan, demoSimMinutes: number): ScriptedEvent[] => {
  const [first, second] = plan.regions;
  const sitesIn = (regionId: string | undefined): number => plan.sites.filter((s) => s.regionId === regionId).length;
  // About a third of the region's discharge power: reachable even with some batteries low.
  const dispatchMw = Math.max(0.01, Math.round(sitesIn(first?.regionId) * 5 * 0.3) / 1000);
  const cells = [...new Set(plan.sites.filter((s) => s.regionId === second?.regionId).map((s) => s.cellId))].slice(0, 4);
  const substation = plan.substations.at(-1)?.substationId;
  const minutes = (f: number): number => Math.max(5, Math.round(demoSimMinutes * f));
  const events: ScriptedEvent[] = [];
  if (first) {
    events.push({ atFraction: 0.25, label: `demand-peak dispatch: ${dispatchMw} MW from ${first.regionId}`, body: { kind: 'VPP_DISPATCH', scopeAssetId: first.regionId, targetMw: dispatchMw, durationMin: minutes(0.3), reason: 'demo: evening demand peak' } });
  }
  if (second && cells.length > 0) {
    events.push({ atFraction: 0.4, label: `storm watch: ${cells.length} weather cells of ${second.regionId}`, body: { kind: 'STORM_WATCH', scopeAssetId: second.regionId, weatherCellIds: cells, durationMin: minutes(0.4), reason: 'demo: severe thunderstorms forecast' } });
  }
  if (substation) {
    events.push({ atFraction: 0.6, label: `outage: ${substation}`, body: { kind: 'OUTAGE', scopeAssetId: substation, durationMin: minutes(0.15), reason: 'demo: feeder fault' } });
  }
  return events;
};

interface EventDetail {
  event: { eventId: string; kind: string };
  status: string;
  fulfillment: {
    targetKw: number | null;
    responseKw: number;
    commands: { issued: number; accepted: number; rejected: number; completed: number; expired: number };
    deliveredSites: number;
    targetedSites: number;
    samples: Array<{ atMs: number; responseKw: number }>;
  };
}

export const createEvent = async (controlUrl: string, token: string, body: Record<string, unknown>): Promise<{ ok: true; eventId: string } | { ok: false; error: string }> => {
  const res = await fetch(`${controlUrl}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = (await res.json()) as { event?: { eventId: string }; message?: string };
  return res.status === 201 && json.event ? { ok: true, eventId: json.event.eventId } : { ok: false, error: `${res.status} ${json.message ?? ''}` };
};

export const eventSummary = async (controlUrl: string, token: string, eventId: string): Promise<string> => {
  const res = await fetch(`${controlUrl}/v1/events/${eventId}`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) return `${eventId}: ${res.status}`;
  const d = (await res.json()) as EventDetail;
  const f = d.fulfillment;
  const peak = Math.max(f.responseKw, ...f.samples.map((s) => s.responseKw));
  const target = f.targetKw === null ? 'no power target' : `target ${Math.round(f.targetKw)} kW, measured response peaked at ${Math.round(peak)} kW (${Math.round((peak / Math.max(1, f.targetKw)) * 100)} %)`;
  return `${d.event.kind} ${d.status}: ${target}; commands ${f.commands.issued} issued, ${f.commands.accepted} accepted, ${f.commands.rejected} rejected, ${f.commands.completed} completed; ${f.deliveredSites}/${f.targetedSites} sites answered`;
};
