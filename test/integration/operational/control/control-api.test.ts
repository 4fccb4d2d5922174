import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Control } from '../../../../services/operational/control/control.ts';
import { freshName } from '../../../support/stack-env.ts';
import { assetDef, call, publishDefs, publishStates, siteState, startTestControl, TOKENS } from './control-fixture.ts';

describe('control API: authentication, roles and customer scope', () => {
  const feeder = freshName('feeder');
  const siteA = `${feeder}-a`;
  const siteB = `${feeder}-b`;
  const customerA = 'customer-a-token-1';
  const logLines: string[] = [];
  let control: Control;

  beforeAll(async () => {
    await publishDefs([assetDef(feeder, 'FEEDER', null), assetDef(siteA, 'SITE', feeder), assetDef(siteB, 'SITE', feeder)]);
    await publishStates([siteState(siteA, 1), siteState(siteB, 1)]);
    control = await startTestControl([{ siteId: siteA, token: customerA }], logLines);
  });
  afterAll(async () => control.close());

  const dispatch = { kind: 'VPP_DISPATCH', scopeAssetId: feeder, targetMw: 0.004, durationMin: 30, reason: 'test peak' };

  it('answers 401 without a token or with an unknown one', async () => {
    expect((await call(`${control.url}/v1/events`, 'GET', null)).status).toBe(401);
    expect((await call(`${control.url}/v1/events`, 'POST', null, dispatch)).status).toBe(401);
    expect((await call(`${control.url}/v1/events`, 'GET', 'not-a-token-at-all')).status).toBe(401);
  });

  it('lets a viewer read but not dispatch or cancel (403)', async () => {
    const res = await call(`${control.url}/v1/events`, 'POST', TOKENS.viewer, dispatch);
    expect(res.status).toBe(403);
    expect(res.body['code']).toBe('FORBIDDEN');
    expect((await call(`${control.url}/v1/events`, 'GET', TOKENS.viewer)).status).toBe(200);
    expect((await call(`${control.url}/v1/events/evt-x/cancel`, 'POST', TOKENS.viewer)).status).toBe(403);
  });

  it('lets an operator dispatch; the event is allocated over the feeder\'s sites and listed with who issued it', async () => {
    const res = await call(`${control.url}/v1/events`, 'POST', TOKENS.operator, dispatch);
    expect(res.status).toBe(201);
    const event = res.body['event'] as { eventId: string; issuedBy: string };
    expect(event.issuedBy).toBe('operator:alice');
    expect(res.body['allocatedKw']).toBeCloseTo(4);
    expect(res.body['sites']).toBe(2);
    const list = await call(`${control.url}/v1/events`, 'GET', TOKENS.viewer);
    expect((list.body['events'] as Array<{ event: { eventId: string } }>).map((e) => e.event.eventId)).toContain(event.eventId);
    const bad = await call(`${control.url}/v1/events`, 'POST', TOKENS.operator, { ...dispatch, scopeAssetId: 'no-such-asset' });
    expect(bad.status).toBe(422);
  });

  it('scopes a customer to their own site: opt-out and reserve there, 403 elsewhere and on fleet events', async () => {
    const created = await call(`${control.url}/v1/events`, 'POST', TOKENS.operator, dispatch);
    const eventId = (created.body['event'] as { eventId: string }).eventId;
    expect((await call(`${control.url}/v1/sites/${siteB}/reserve`, 'PUT', customerA, { reservePct: 50 })).status).toBe(403);
    expect((await call(`${control.url}/v1/sites/${siteB}/opt-outs`, 'POST', customerA, { eventId })).status).toBe(403);
    expect((await call(`${control.url}/v1/events`, 'GET', customerA)).status).toBe(403);
    expect((await call(`${control.url}/v1/events`, 'POST', customerA, dispatch)).status).toBe(403);
    const opt = await call(`${control.url}/v1/sites/${siteA}/opt-outs`, 'POST', customerA, { eventId });
    expect(opt.status).toBe(200);
    expect(opt.body['released']).toBe(true);
    // Site A's share went to site B, within B's 5 kW limit.
    const detail = await call(`${control.url}/v1/events/${eventId}`, 'GET', TOKENS.operator);
    expect(detail.body['allocatedKw']).toBeCloseTo(4);
    expect(detail.body['sites']).toBe(1);
    const reserve = await call(`${control.url}/v1/sites/${siteA}/reserve`, 'PUT', customerA, { reservePct: 60 });
    expect(reserve.status).toBe(200);
    const mine = await call(`${control.url}/v1/sites/${siteA}`, 'GET', customerA);
    expect(mine.body['reservePct']).toBe(60);
    expect(mine.body['optedOutEventIds']).toEqual([eventId]);

    // The choices are stored on control.choices.v1: a restarted (or second) instance has them,
    // and re-allocates the event without site A.
    const other = await startTestControl([{ siteId: siteA, token: customerA }]);
    try {
      const restored = await call(`${other.url}/v1/sites/${siteA}`, 'GET', customerA);
      expect(restored.body['reservePct']).toBe(60);
      expect(restored.body['optedOutEventIds']).toEqual([eventId]);
      expect((await call(`${other.url}/v1/events/${eventId}`, 'GET', TOKENS.operator)).body['sites']).toBe(1);
    } finally {
      await other.close();
    }
  });

  it('logs every request with who made it', () => {
    const requests = logLines.map((l) => JSON.parse(l) as { msg: string; who: string | null; status: number; path: string }).filter((l) => l.msg === 'request');
    expect(requests.some((r) => r.who === 'viewer:victor' && r.status === 403)).toBe(true);
    expect(requests.some((r) => r.who === 'operator:alice' && r.status === 201)).toBe(true);
    expect(requests.some((r) => r.who === null && r.status === 401)).toBe(true);
    expect(requests.some((r) => r.who === `customer:customer-${siteA}` && r.path.endsWith('/opt-outs'))).toBe(true);
  });
});
