// Guards "a gateway reads only what it delivers": records for sites never connected here are not
// decoded, and what was kept for a site is applied when its device first connects (its newest
// bundle, its recent commands), so a late device still finds its inputs. Every gateway used to
// decode every command and bundle of the fleet.
import { describe, expect, it } from 'vitest';
import type { AvroCodec } from '../../../../services/platform/avro-codec.ts';
import { ok } from '../../../../services/platform/result.ts';
import { createSiteFilter, PARKED_COMMANDS_PER_SITE } from '../../../../services/operational/gateway/site-filter.ts';

const setup = () => {
  let decodes = 0;
  const codec = { decode: (_t: string, b: Buffer) => (decodes++, ok(JSON.parse(b.toString()) as never)) } as unknown as AvroCodec;
  const commands: string[] = [];
  const bundles: string[] = [];
  const f = createSiteFilter({ codec, onCommand: (c) => commands.push(c.commandId), onBundle: (b) => bundles.push(b.runId), onUndecodable: () => undefined });
  return { f, commands, bundles, decodes: () => decodes };
};
const json = (v: object): Buffer => Buffer.from(JSON.stringify(v));

describe('gateway site filter', () => {
  it('keeps unclaimed sites as bytes and applies them once on claim', () => {
    const { f, commands, bundles, decodes } = setup();
    expect(f.keep('site-a')).toBe(false);
    f.parkBundle('site-a', json({ runId: 'old' }));
    f.parkBundle('site-a', json({ runId: 'new' }));
    for (let i = 0; i < PARKED_COMMANDS_PER_SITE + 3; i++) f.parkCommand('site-a', json({ commandId: `c${i}` }));
    f.parkBundle('site-b', json({ runId: 'b' }));
    f.parkBundle('site-b', null);
    expect(decodes()).toBe(0);
    expect(f.parked()).toBe(1 + PARKED_COMMANDS_PER_SITE);

    f.claim('site-a');
    expect(bundles).toEqual(['new']);
    expect(commands).toEqual(Array.from({ length: PARKED_COMMANDS_PER_SITE }, (_, i) => `c${i + 3}`));
    expect(f.keep('site-a')).toBe(true);
    expect(f.parked()).toBe(0);
    f.claim('site-a');
    f.claim('site-b');
    expect(bundles).toEqual(['new']);
    expect(f.claimed()).toBe(2);
  });
});
