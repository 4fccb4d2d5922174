/**
 * A fleet-wide dispatch's pure work, done once ahead of time and written nowhere: the scope's
 * site list (cached by the scope index until the registry changes), the allocation over every
 * site, the commands and their Avro encoding. A control instance's first dispatch used to run
 * all of it cold: in the 10k control bench the first round's answer took 1.3-1.9 s against
 * 0.45-0.64 s for the later ones (docs/control.md). Run after the registry settles, so the first
 * real dispatch finds the scope cached and the code compiled.
 */
import type { GridEvent, SiteCommand } from '../../platform/events.ts';
import { allocate, type CustomerChoice } from './allocate-dispatch.ts';
import { allocationRequestOf, commandsOf } from './event-commands.ts';
import type { ReadModel } from './read-model.ts';
import type { ScopeIndex } from './scope-index.ts';

export interface WarmUpResult {
  readonly roots: number;
  readonly sites: number;
  readonly commands: number;
}

export const warmUp = (d: {
  readonly model: ReadModel;
  readonly scopes: ScopeIndex;
  readonly choices: ReadonlyMap<string, CustomerChoice>;
  /** Encodes a command and throws the bytes away (the writer's own encoder, so it is the code that runs hot). */
  readonly encode: (c: SiteCommand) => void;
  readonly nowMs: number;
}): WarmUpResult => {
  let roots = 0;
  let sites = 0;
  let commands = 0;
  for (const [assetId, def] of d.model.defs) {
    if (def.parentId !== null) continue;
    const event: GridEvent = {
      eventId: 'warm-up', kind: 'VPP_DISPATCH', scopeAssetId: assetId, targetMw: null, startMs: d.nowMs, endMs: d.nowMs + 3_600_000,
      issuedBy: 'warm-up', issuedAtMs: d.nowMs, cancelsEventId: null, reason: null, weatherCellIds: [],
    };
    const req = allocationRequestOf(event);
    if (req === null) continue;
    const inputs = d.scopes.inputsUnder(assetId);
    const cmds = commandsOf(event, 0, allocate(req, inputs, d.choices), d.nowMs);
    for (const c of cmds) d.encode(c);
    roots++;
    sites += inputs.length;
    commands += cmds.length;
  }
  return { roots, sites, commands };
};
