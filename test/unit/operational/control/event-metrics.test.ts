// Nothing told an operator's alerting that a dispatch's measured response fell short of its
// target: control's /metrics had HTTP figures only.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerEventMetrics } from '../../../../services/operational/control/event-metrics.ts';

describe("control's event metrics", () => {
  it('report each active event\'s target and measured response, and events by status, at scrape time', async () => {
    let response = 4000;
    const events = [
      { event: { eventId: 'evt-a', kind: 'VPP_DISPATCH' }, status: 'ACTIVE' },
      { event: { eventId: 'evt-b', kind: 'STORM_WATCH' }, status: 'ACTIVE' },
      { event: { eventId: 'evt-c', kind: 'VPP_DISPATCH' }, status: 'ENDED' },
    ];
    const registry = new Registry();
    registerEventMetrics(registry, {
      listEvents: () => events,
      event: (id) => (id === 'evt-a' ? { fulfillment: { targetKw: 5000, responseKw: response } } : id === 'evt-b' ? { fulfillment: { targetKw: null, responseKw: 0 } } : null),
    });
    const first = await registry.metrics();
    expect(first).toContain('gridfleet_control_event_target_watts{event_id="evt-a",kind="VPP_DISPATCH"} 5000000');
    expect(first).toContain('gridfleet_control_event_response_watts{event_id="evt-a",kind="VPP_DISPATCH"} 4000000');
    expect(first).not.toContain('gridfleet_control_event_target_watts{event_id="evt-b"');
    expect(first).not.toContain('evt-c');
    expect(first).toContain('gridfleet_control_events{status="ACTIVE"} 2');
    expect(first).toContain('gridfleet_control_events{status="ENDED"} 1');
    // The same scrape reads the book as it is now, not as it was at the previous scrape.
    response = 4900;
    events[0] = { ...events[0]!, status: 'ENDED' };
    const second = await registry.metrics();
    expect(second).not.toContain('event_id="evt-a"');
    expect(second).toContain('gridfleet_control_events{status="ENDED"} 2');
  });
});
