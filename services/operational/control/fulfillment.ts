/**
 * Fulfillment of one grid event, as a deterministic reducer over what control sees on Kafka: the commands
 * it issued (control.commands.v1), the devices' acks (control.acks.v1) and the sites' measured
 * battery power (asset.state.v1). Nothing here is sent anywhere; the view answers "how is this
 * event doing": commands delivered and acknowledged, rejected with reasons, and the measured
 * response in kW against the target over time.
 *
 * The reducers do no I/O and read no clock; they update the state they are given in place and
 * return it, so each record costs O(1) at 100k sites (copying maps per ack is quadratic).
 *
 * Direction: responseKw is the measured battery power of the event's sites in the event's
 * direction (discharge positive for DISCHARGE events, charge positive for CHARGE events).
 */
import type { CommandAck, SiteCommand } from '../../platform/events.ts';

export type CommandStatus = 'SENT' | 'ACCEPTED' | 'REJECTED' | 'COMPLETED' | 'EXPIRED';

export interface CommandRecord {
  readonly commandId: string;
  readonly siteId: string;
  readonly kind: SiteCommand['kind'];
  readonly powerKw: number;
  readonly issuedAtMs: number;
  readonly endMs: number;
  readonly status: CommandStatus;
  readonly reason: string | null;
  readonly ackedAtMs: number | null;
}

export interface Sample {
  readonly atMs: number;
  readonly responseKw: number;
}

export interface Fulfillment {
  readonly eventId: string;
  /** kW, in the event's direction; null for protective events (storm watch, outage). */
  readonly targetKw: number | null;
  /** +1 when discharge counts as response, -1 when charge does. */
  readonly direction: 1 | -1;
  readonly commands: Map<string, CommandRecord>;
  /** Sites with a (non-RELEASE) command of this event. */
  readonly sites: Set<string>;
  /** Latest measured battery kW (+ discharge) per site of the event, and their sum. */
  readonly siteKw: Map<string, number>;
  responseKw: number;
  readonly samples: Sample[];
  /** The latest (by issue time) non-RELEASE command per site: a rejection counts only for it. */
  readonly latest: Map<string, string>;
  /** Sites whose latest command was rejected: they dropped out (kept as records arrive, never recomputed). */
  readonly rejectedSites: Set<string>;
  /** Sites of the event that asset.state.v1 last showed offline. */
  readonly offlineSites: Set<string>;
}

export const MAX_SAMPLES = 720;

export const createFulfillment = (eventId: string, targetKw: number | null, direction: 1 | -1): Fulfillment => ({
  eventId, targetKw, direction, commands: new Map(), sites: new Set(), siteKw: new Map(), responseKw: 0, samples: [],
  latest: new Map(), rejectedSites: new Set(), offlineSites: new Set(),
});

/** A command issued for this event (seen again on redelivery: no change). */
export const onCommand = (f: Fulfillment, c: SiteCommand): Fulfillment => {
  if (c.eventId !== f.eventId || f.commands.has(c.commandId)) return f;
  f.commands.set(c.commandId, { commandId: c.commandId, siteId: c.siteId, kind: c.kind, powerKw: c.powerKw, issuedAtMs: c.issuedAtMs, endMs: c.endMs, status: 'SENT', reason: null, ackedAtMs: null });
  if (c.kind !== 'RELEASE') {
    f.sites.add(c.siteId);
    const held = f.latest.get(c.siteId);
    const heldAt = held === undefined ? undefined : f.commands.get(held)?.issuedAtMs;
    if (heldAt === undefined || c.issuedAtMs >= heldAt) {
      f.latest.set(c.siteId, c.commandId);
      f.rejectedSites.delete(c.siteId);
    }
  }
  return f;
};

const rank: Record<CommandStatus, number> = { SENT: 0, ACCEPTED: 1, REJECTED: 2, COMPLETED: 2, EXPIRED: 2 };

/** An ack: moves a command forward (ACCEPTED, then a final state); never backward. */
export const onAck = (f: Fulfillment, a: CommandAck): Fulfillment => {
  const c = f.commands.get(a.commandId);
  if (c === undefined || c.siteId !== a.siteId || rank[a.status] <= rank[c.status]) return f;
  f.commands.set(a.commandId, { ...c, status: a.status, reason: a.reason, ackedAtMs: a.ackedAtMs });
  if (a.status === 'REJECTED' && f.latest.get(c.siteId) === a.commandId) f.rejectedSites.add(c.siteId);
  return f;
};

/** Whether a site of the event is online, as asset.state.v1 last said. */
export const onSiteOnline = (f: Fulfillment, siteId: string, online: boolean): Fulfillment => {
  if (!f.sites.has(siteId)) return f;
  if (online) f.offlineSites.delete(siteId);
  else f.offlineSites.add(siteId);
  return f;
};

/**
 * A site's measured battery power at atMs. Samples of the total response are kept one per
 * sampleEveryMs (the newest within a bucket wins), at most MAX_SAMPLES.
 */
export const onSiteMeasurement = (f: Fulfillment, siteId: string, batteryKw: number, atMs: number, sampleEveryMs: number): Fulfillment => {
  if (!f.sites.has(siteId)) return f;
  f.responseKw += (batteryKw - (f.siteKw.get(siteId) ?? 0)) * f.direction;
  f.siteKw.set(siteId, batteryKw);
  const sample: Sample = { atMs, responseKw: f.responseKw };
  const last = f.samples.at(-1);
  if (last !== undefined && Math.floor(last.atMs / sampleEveryMs) === Math.floor(atMs / sampleEveryMs)) f.samples[f.samples.length - 1] = sample;
  else {
    f.samples.push(sample);
    if (f.samples.length > MAX_SAMPLES) f.samples.shift();
  }
  return f;
};

export interface FulfillmentView {
  readonly targetKw: number | null;
  readonly responseKw: number;
  readonly commands: { issued: number; sent: number; accepted: number; rejected: number; completed: number; expired: number };
  /** Delivered: the device answered (any ack). */
  readonly deliveredSites: number;
  readonly targetedSites: number;
  readonly rejections: ReadonlyArray<{ siteId: string; commandId: string; reason: string | null }>;
  readonly samples: readonly Sample[];
}

/** The view at nowMs: a command still unacknowledged after its window counts as expired. */
export const viewOf = (f: Fulfillment, nowMs: number): FulfillmentView => {
  const counts = { issued: 0, sent: 0, accepted: 0, rejected: 0, completed: 0, expired: 0 };
  const delivered = new Set<string>();
  const rejections: Array<{ siteId: string; commandId: string; reason: string | null }> = [];
  for (const c of f.commands.values()) {
    counts.issued++;
    const status: CommandStatus = c.status === 'SENT' && nowMs >= c.endMs ? 'EXPIRED' : c.status;
    if (status === 'SENT') counts.sent++;
    else if (status === 'ACCEPTED') counts.accepted++;
    else if (status === 'REJECTED') counts.rejected++;
    else if (status === 'COMPLETED') counts.completed++;
    else counts.expired++;
    if (c.ackedAtMs !== null) delivered.add(c.siteId);
    if (status === 'REJECTED') rejections.push({ siteId: c.siteId, commandId: c.commandId, reason: c.reason });
  }
  return {
    targetKw: f.targetKw,
    responseKw: f.responseKw,
    commands: counts,
    deliveredSites: delivered.size,
    targetedSites: f.sites.size,
    rejections,
    samples: [...f.samples],
  };
};
