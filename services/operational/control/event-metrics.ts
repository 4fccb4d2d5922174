/**
 * Control's grid events as Prometheus gauges, read from the event book when scraped (nothing is
 * kept twice): for every ACTIVE event its target and its measured response in watts (the book keeps kW;
 * Prometheus wants base units), and counts of events by status. An operator alerts on the response falling short of the target
 * (infra/observability/alerts.yml, DispatchResponseShort).
 */
import { Gauge, type Registry } from 'prom-client';

interface EventsSource {
  listEvents(): ReadonlyArray<{ event: { eventId: string; kind: string }; status: string }>;
  event(eventId: string): { fulfillment: { targetKw: number | null; responseKw: number } } | null;
}

export const registerEventMetrics = (registry: Registry, svc: EventsSource): void => {
  // Registered first: a registry collects in registration order, so this collect fills the two
  // per-event gauges before they are read in the same scrape.
  new Gauge({
    name: 'gridfleet_control_events', help: 'Grid events in control\'s book, by status', labelNames: ['status'] as const, registers: [registry],
    collect() {
      this.reset();
      target.reset();
      response.reset();
      const byStatus = new Map<string, number>();
      for (const s of svc.listEvents()) {
        byStatus.set(s.status, (byStatus.get(s.status) ?? 0) + 1);
        if (s.status !== 'ACTIVE') continue;
        const f = svc.event(s.event.eventId)?.fulfillment;
        if (f === undefined) continue;
        const labels = { event_id: s.event.eventId, kind: s.event.kind };
        if (f.targetKw !== null) target.set(labels, f.targetKw * 1000);
        response.set(labels, f.responseKw * 1000);
      }
      for (const [status, n] of byStatus) this.set({ status }, n);
    },
  });
  const target = new Gauge({ name: 'gridfleet_control_event_target_watts', help: 'Target of each active grid event, W (absent when the event has none)', labelNames: ['event_id', 'kind'] as const, registers: [registry] });
  const response = new Gauge({ name: 'gridfleet_control_event_response_watts', help: 'Measured response of the sites of each active grid event, W, in the event\'s direction', labelNames: ['event_id', 'kind'] as const, registers: [registry] });
};
