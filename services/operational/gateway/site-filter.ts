/**
 * A gateway reads only what it delivers. Every gateway follows every command and forecast record
 * (any device may connect to any instance), but decodes only those whose key, the site id, is a
 * site that has connected to this instance. The others are kept as bytes, newest per site (a
 * bundle) or the last few (commands), and decoded when a device of the site first connects or
 * polls here (`claim`), before the gateway reads its delivery state. A claimed site stays
 * claimed: its device may reconnect at any moment and must find its inputs current.
 *
 * Why: a forecast run publishes a bundle for every site, and each gateway decoded all of them at
 * normal priority next to control's commands (the isolation harness's forecast phases).
 */
import type { AvroCodec } from '../../platform/avro-codec.ts';
import type { ForecastBundle, SiteCommand } from '../../platform/events.ts';
import { TopicNames } from '../../platform/topics.ts';

/** Commands kept undecoded per unclaimed site; older ones are dropped (a device that was never here cannot have missed many live ones). */
export const PARKED_COMMANDS_PER_SITE = 16;

export interface SiteFilter {
  /** The feeds' `keep`: decode this record now? */
  readonly keep: (key: string | null) => boolean;
  readonly parkCommand: (key: string | null, value: Buffer | null) => void;
  readonly parkBundle: (key: string | null, value: Buffer | null) => void;
  /** Decodes and applies what was kept for the site; from now on its records are decoded as they come. */
  claim(siteId: string): void;
  claimed(): number;
  parked(): number;
}

export const createSiteFilter = (deps: {
  readonly codec: AvroCodec;
  readonly onCommand: (c: SiteCommand) => void;
  readonly onBundle: (b: ForecastBundle) => void;
  readonly onUndecodable: (topic: string, reason: string) => void;
}): SiteFilter => {
  const claimedSites = new Set<string>();
  const commands = new Map<string, Buffer[]>();
  const bundles = new Map<string, Buffer>();
  let parkedCount = 0;

  const decodeThen = <T extends typeof TopicNames.controlCommands | typeof TopicNames.fleetForecasts>(
    topic: T, bytes: Buffer, apply: (v: T extends typeof TopicNames.controlCommands ? SiteCommand : ForecastBundle) => void,
  ): void => {
    const done = (d: Awaited<ReturnType<AvroCodec['decode']>>): void => {
      if (d.ok) apply(d.value as T extends typeof TopicNames.controlCommands ? SiteCommand : ForecastBundle);
      else deps.onUndecodable(topic, d.error);
    };
    const d = deps.codec.decode(topic, bytes);
    if (d instanceof Promise) void d.then(done, (e: unknown) => deps.onUndecodable(topic, e instanceof Error ? e.message : String(e)));
    else done(d);
  };

  return {
    keep: (key) => key === null || claimedSites.has(key),
    parkCommand: (key, value) => {
      if (key === null || value === null) return;
      const list = commands.get(key) ?? [];
      list.push(value);
      parkedCount++;
      if (list.length > PARKED_COMMANDS_PER_SITE) {
        list.shift();
        parkedCount--;
      }
      commands.set(key, list);
    },
    parkBundle: (key, value) => {
      if (key === null) return;
      if (bundles.has(key)) parkedCount--;
      // A tombstone on the compacted topic drops what was kept.
      if (value === null) bundles.delete(key);
      else {
        bundles.set(key, value);
        parkedCount++;
      }
    },
    claim: (siteId) => {
      if (claimedSites.has(siteId)) return;
      claimedSites.add(siteId);
      const b = bundles.get(siteId);
      if (b !== undefined) {
        bundles.delete(siteId);
        parkedCount--;
        decodeThen(TopicNames.fleetForecasts, b, deps.onBundle);
      }
      const list = commands.get(siteId) ?? [];
      commands.delete(siteId);
      parkedCount -= list.length;
      for (const c of list) decodeThen(TopicNames.controlCommands, c, deps.onCommand);
    },
    claimed: () => claimedSites.size,
    parked: () => parkedCount,
  };
};
