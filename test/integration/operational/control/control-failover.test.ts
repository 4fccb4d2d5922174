/**
 * Control survives its own loss (issue 18): two control processes, one leads. The leader is
 * SIGKILLed half-way through writing a dispatch's commands; the standby must lead within 10 s,
 * complete the dispatch so every site has exactly one command (none lost, none written twice),
 * and keep tracking the measured response. The standby's first write of the takeover is refused:
 * it must try the takeover again (before, it held the lease without leading and the dispatch
 * stayed half-written).
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SiteCommand } from '../../../../services/platform/events.ts';
import { TopicNames } from '../../../../services/platform/topics.ts';
import { startServiceProcess, type ServiceProcess } from '../../../support/service-process.ts';
import { freshName, TEST_STACK_ENV } from '../../../support/stack-env.ts';
import { assetDef, call, codec, kafka, publishDefs, publishStates, siteState, TOKENS, until } from './control-fixture.ts';

const SITES = 1_000;
const role = async (p: ServiceProcess): Promise<string> =>
  fetch(`${p.url}/healthz`, { signal: AbortSignal.timeout(1_000) }).then(async (r) => ((await r.json()) as { role?: string }).role ?? '', () => 'down');

describe('control failover', () => {
  it('a standby takes over a leader killed mid-dispatch: within 10 s, every site one command, measured response tracked', async () => {
    const tag = freshName('fo');
    const feeder = `${tag}-feeder`;
    const sites = Array.from({ length: SITES }, (_, i) => `${tag}-s${String(i).padStart(4, '0')}`);
    await publishDefs([assetDef(feeder, 'FEEDER', null), ...sites.map((s) => assetDef(s, 'SITE', feeder))]);
    await publishStates(sites.map((s) => siteState(s, 1)));

    const dir = mkdtempSync(join(tmpdir(), 'control-failover-'));
    const flag = join(dir, 'stall');
    const refuse = join(dir, 'refuse');
    const env = {
      ...TEST_STACK_ENV, LOG_LEVEL: 'info', CONTROL_LEADER_GROUP: freshName('control-leader'), CONTROL_TEST_STALL_FLAG: flag, CONTROL_TEST_REFUSE_FLAG: refuse,
      CONTROL_TOKENS: `operator:${TOKENS.operator}:alice,viewer:${TOKENS.viewer}:victor`,
    };
    const start = (name: string): Promise<ServiceProcess> => startServiceProcess({
      name, entry: 'test/support/control-stalling-main.ts', portEnv: 'CONTROL_PORT', env: { ...env, CONTROL_INSTANCE_ID: freshName(name) }, cleanup: afterAll, timeoutMs: 120_000,
    });
    const a = await start('control-a');
    const b = await start('control-b');
    await until(async () => [await role(a), await role(b)].sort().join() === 'leader,standby', 30_000);
    const [leader, standby] = (await role(a)) === 'leader' ? [a, b] : [b, a];
    // The standby refuses mutations, pointing at the leader.
    const refused = await call(`${standby.url}/v1/events`, 'POST', TOKENS.operator, { kind: 'OUTAGE', scopeAssetId: feeder, durationMin: 30 });
    expect([refused.status, refused.body['code']]).toEqual([503, 'CTRL_NOT_LEADER']);

    writeFileSync(flag, '');
    const targetKw = SITES * 2.5;
    void call(`${leader.url}/v1/events`, 'POST', TOKENS.operator, { kind: 'VPP_DISPATCH', scopeAssetId: feeder, targetMw: targetKw / 1000, durationMin: 30 }).catch(() => undefined);
    await until(() => leader.output().includes('STALLED after'), 30_000);
    expect(existsSync(flag)).toBe(false);
    // The stalled leader writes nothing more, so the standby's takeover meets the refusal.
    writeFileSync(refuse, '');
    const killedAt = Date.now();
    await leader.stop('SIGKILL');
    await until(async () => (await role(standby)) === 'leader', 20_000);
    const failoverMs = Date.now() - killedAt;
    expect(failoverMs).toBeLessThan(10_000);

    const events = (await call(`${standby.url}/v1/events`, 'GET', TOKENS.viewer)).body['events'] as Array<{ event: { eventId: string; scopeAssetId: string } }>;
    const eventId = events.find((e) => e.event.scopeAssetId === feeder)?.event.eventId ?? '';
    expect(eventId).not.toBe('');
    let mine: SiteCommand[] = [];
    await until(async () => {
      const all = await kafka.readAll(TopicNames.controlCommands, { timeoutMs: 30_000 });
      mine = [];
      for (const r of all) {
        if (r.value === null) continue;
        const d = await codec.decode(TopicNames.controlCommands, r.value);
        if (d.ok && d.value.eventId === eventId && d.value.kind !== 'RELEASE') mine.push(d.value);
      }
      return new Set(mine.map((c) => c.siteId)).size >= SITES;
    }, 60_000);
    // None lost, none twice: one record, one command id per site, from one round.
    expect(mine.length).toBe(SITES);
    expect(new Set(mine.map((c) => c.commandId)).size).toBe(SITES);
    expect(new Set(mine.map((c) => c.commandId.split('.')[1])).size).toBe(1);
    expect(mine.reduce((s, c) => s + c.powerKw, 0)).toBeCloseTo(targetKw, -1);
    // The refused write was the takeover's, and the takeover was tried again.
    expect(standby.output()).toContain('REFUSED a write');
    expect(standby.output()).toContain('takeover failed; trying again');

    // The new leader tracks the response: the sites discharge their shares.
    const share = new Map(mine.map((c) => [c.siteId, c.powerKw]));
    await publishStates(sites.map((s) => siteState(s, 2, {}, share.get(s) ?? 0)));
    await until(async () => {
      const d = (await call(`${standby.url}/v1/events/${eventId}`, 'GET', TOKENS.viewer)).body as { fulfillment: { responseKw: number; targetedSites: number } };
      return d.fulfillment.targetedSites === SITES && Math.abs(d.fulfillment.responseKw - targetKw) < 1;
    }, 30_000);
    process.stderr.write(`control failover: ${failoverMs} ms from SIGKILL to the standby leading\n`);
  }, 240_000);
});
