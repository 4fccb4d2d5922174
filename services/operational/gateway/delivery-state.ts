/**
 * What the gateway holds for delivery, pure: the newest forecast bundle per site (a bundle not
 * newer than the one held is ignored) and each site's unexpired commands. The poll ETag is a
 * function of exactly what a poll would return, so an unchanged answer is a 304.
 */
import { createHash } from 'node:crypto';
import type { ForecastBundle, SiteCommand } from '../../platform/events.ts';

export interface DeliveryState {
  readonly bundles: Map<string, ForecastBundle>;
  readonly commands: Map<string, SiteCommand[]>;
}

export const emptyDeliveryState = (): DeliveryState => ({ bundles: new Map(), commands: new Map() });

/** Returns true when the bundle replaced the one held (it is newer). */
export const acceptBundle = (s: DeliveryState, b: ForecastBundle): boolean => {
  const held = s.bundles.get(b.siteId);
  if (held !== undefined && held.issuedAtMs >= b.issuedAtMs) return false;
  s.bundles.set(b.siteId, b);
  return true;
};

/**
 * How long a command is remembered after its window ends: a device acknowledges COMPLETED at or
 * after the end (and may be offline then), so acks must still find it.
 */
export const ACK_GRACE_MS = 24 * 3_600_000;

/**
 * When a command stops applying: the end of its window or its expiry, whichever is first. The
 * same rule as the device's (services/edge/agent/command-rules.ts `commandEndMs`), which rejects a
 * command arriving at or after it as expired.
 */
export const commandDeadlineMs = (c: SiteCommand): number => Math.min(c.endMs, c.expiresAtMs);

/** Returns true when the command is new and neither ended nor expired at nowMs (see commandDeadlineMs). */
export const acceptCommand = (s: DeliveryState, c: SiteCommand, nowMs: number): boolean => {
  if (commandDeadlineMs(c) <= nowMs) return false;
  const list = s.commands.get(c.siteId) ?? [];
  if (list.some((x) => x.commandId === c.commandId)) return false;
  s.commands.set(c.siteId, [...list.filter((x) => x.endMs + ACK_GRACE_MS > nowMs), c]);
  return true;
};

/** Commands still worth delivering to a (re)connecting or polling device: neither ended nor expired. */
export const liveCommands = (s: DeliveryState, siteId: string, nowMs: number): SiteCommand[] =>
  (s.commands.get(siteId) ?? []).filter((c) => commandDeadlineMs(c) > nowMs);

export const hasCommand = (s: DeliveryState, siteId: string, commandId: string): boolean =>
  (s.commands.get(siteId) ?? []).some((c) => c.commandId === commandId);

export interface PollAnswer {
  readonly etag: string;
  readonly body: { commands: SiteCommand[]; forecast: ForecastBundle | null };
}

export const pollAnswer = (s: DeliveryState, siteId: string, nowMs: number): PollAnswer => {
  const commands = liveCommands(s, siteId, nowMs);
  const forecast = s.bundles.get(siteId) ?? null;
  const tag = createHash('sha1')
    .update(`${forecast?.runId ?? '-'}:${forecast?.issuedAtMs ?? 0}:${commands.map((c) => c.commandId).join(',')}`)
    .digest('base64url');
  return { etag: `"${tag}"`, body: { commands, forecast } };
};

/** True when an If-None-Match header names the current ETag. */
export const etagMatches = (ifNoneMatch: string | undefined, etag: string): boolean =>
  ifNoneMatch !== undefined && ifNoneMatch.split(',').some((t) => t.trim() === etag || t.trim() === `W/${etag}`);
