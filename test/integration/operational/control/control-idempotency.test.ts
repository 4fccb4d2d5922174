/**
 * Regression (issue 16): a client that retried POST /v1/events after a timeout created a second
 * grid event (two dispatches of the same megawatts). With an Idempotency-Key the retry answers
 * the first outcome; the key with another body is refused. Also: control serves /metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Control } from '../../../../services/operational/control/control.ts';
import { freshName } from '../../../support/stack-env.ts';
import { assetDef, publishDefs, publishStates, siteState, startTestControl, TOKENS } from './control-fixture.ts';

describe('control: Idempotency-Key on event creation, /metrics', () => {
  const feeder = freshName('feeder');
  let control: Control;
  beforeAll(async () => {
    await publishDefs([assetDef(feeder, 'FEEDER', null), assetDef(`${feeder}-a`, 'SITE', feeder)]);
    await publishStates([siteState(`${feeder}-a`, 1)]);
    control = await startTestControl();
  });
  afterAll(async () => control.close());

  const post = (body: unknown, key?: string): Promise<Response> => fetch(`${control.url}/v1/events`, {
    method: 'POST', body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKENS.operator}`, ...(key === undefined ? {} : { 'idempotency-key': key }) },
  });
  const eventsFor = async (scope: string): Promise<number> => {
    const res = await fetch(`${control.url}/v1/events`, { headers: { authorization: `Bearer ${TOKENS.viewer}` } });
    return ((await res.json()) as { events: Array<{ event: { scopeAssetId: string } }> }).events.filter((e) => e.event.scopeAssetId === scope).length;
  };

  it('creates one event for a retried POST with the same key, and refuses the key with another body', async () => {
    const body = { kind: 'VPP_DISPATCH', scopeAssetId: feeder, targetMw: 0.002, durationMin: 30 };
    const key = freshName('key');
    const [a, b] = await Promise.all([post(body, key), post(body, key)]);
    const c = await post(body, key);
    const ids = await Promise.all([a, b, c].map(async (r) => ((await r.json()) as { event: { eventId: string } }).event.eventId));
    expect([a.status, b.status, c.status]).toEqual([201, 201, 201]);
    expect(new Set(ids).size).toBe(1);
    expect(c.headers.get('idempotent-replayed')).toBe('true');
    expect(await eventsFor(feeder)).toBe(1);
    const other = await post({ ...body, targetMw: 0.003 }, key);
    expect(other.status).toBe(422);
    expect(((await other.json()) as { code: string }).code).toBe('IDEMPOTENCY_KEY_REUSED');
    // Without a key, two POSTs are two events.
    await post(body);
    await post(body);
    expect(await eventsFor(feeder)).toBe(3);
  });

  it('serves Prometheus metrics with the requests it answered', async () => {
    const text = await (await fetch(`${control.url}/metrics`)).text();
    expect(text).toMatch(/gridfleet_http_requests_total\{route="\/v1\/events",method="POST",status="201"\} \d+/);
    expect(text).toContain('gridfleet_http_request_duration_seconds_bucket');
  });
});
