/**
 * Operators' dispatches through control's HTTP API (docs/control.md) and the ledger that turns the
 * device workers' command arrivals into "dispatch request to command delivered" times: for each
 * event, the first arrival of one of its (non-RELEASE) commands at each targeted site, measured
 * from the moment before the POST /v1/events request was sent.
 */
import type { CommandSeen } from './_control-devices.ts';
import type { System } from './_control-system.ts';

export interface IssuedEvent {
  readonly eventId: string;
  readonly scopeAssetId: string;
  /** Date.now() just before the request went out. */
  readonly t0: number;
  /** How long control took to answer 201 (the event written, allocated, commands published). */
  readonly requestMs: number;
  /** Sites the allocation gave a share: the targeted devices. */
  readonly sites: number;
  readonly targetKw: number;
  readonly endMs: number;
}

interface EventDetail { event: { eventId: string }; sites: number; allocatedKw: number; fulfillment: { targetKw: number; responseKw: number; commands: Record<string, number>; deliveredSites: number; targetedSites: number } }
export type { EventDetail };

/** A dispatch control answered with something other than 201: its status and problem code. */
export class DispatchRefused extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(`dispatch refused: ${status} ${code} ${message}`);
  }
}

/** Why a dispatch did not go through, in a few words: `503 CTRL_NOT_LEADER`, or the request's own failure. */
export const refusalOf = (e: unknown): string =>
  e instanceof DispatchRefused ? `${e.status} ${e.code}`.trim() : `request failed: ${e instanceof Error ? e.message : String(e)}`;

/** POST /v1/events: a VPP dispatch of targetMw from a subtree for durationMs (real time). */
export const dispatch = async (sys: System, scopeAssetId: string, targetMw: number, durationMs: number): Promise<IssuedEvent> => {
  const t0 = Date.now();
  const r = await sys.controlApi<EventDetail & { code?: string; message?: string }>('POST', '/v1/events', {
    kind: 'VPP_DISPATCH', scopeAssetId, targetMw, startMs: t0, endMs: t0 + durationMs, reason: 'bench',
  });
  if (r.status !== 201) throw new DispatchRefused(r.status, r.body.code ?? '', r.body.message ?? '');
  return { eventId: r.body.event.eventId, scopeAssetId, t0, requestMs: Date.now() - t0, sites: r.body.sites, targetKw: targetMw * 1000, endMs: t0 + durationMs };
};

export const eventDetail = async (sys: System, eventId: string): Promise<EventDetail | null> => {
  try {
    const r = await sys.controlApi<EventDetail>('GET', `/v1/events/${eventId}`);
    return r.status === 200 ? r.body : null;
  } catch {
    return null;
  }
};

export interface CommandLedger {
  add(commands: readonly CommandSeen[]): void;
  /** Milliseconds from the event's request to each targeted site's first command, sorted. */
  deliveries(e: IssuedEvent): number[];
  /** Every command (any kind) that reached a device, by commandId. */
  seen(): ReadonlyMap<string, CommandSeen>;
}

export const createCommandLedger = (): CommandLedger => {
  const byEvent = new Map<string, Map<string, number>>();
  const all = new Map<string, CommandSeen>();
  return {
    add(commands) {
      for (const c of commands) {
        if (!all.has(c.commandId)) all.set(c.commandId, c);
        if (c.eventId === null || c.kind === 'RELEASE') continue;
        let sites = byEvent.get(c.eventId);
        if (!sites) byEvent.set(c.eventId, (sites = new Map<string, number>()));
        const prev = sites.get(c.siteId);
        if (prev === undefined || c.receivedAtMs < prev) sites.set(c.siteId, c.receivedAtMs);
      }
    },
    deliveries(e) {
      return [...(byEvent.get(e.eventId)?.values() ?? [])].map((t) => t - e.t0).sort((a, b) => a - b);
    },
    seen: () => all,
  };
};
