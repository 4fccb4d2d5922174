/** The gateway's Prometheus metrics (one registry per instance, served on /metrics). */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Counts the metrics read when scraped rather than kept in step on the hot path. */
export interface GatewayMetricSources {
  /** Telemetry frames handed to the sink and not yet acknowledged by Kafka (queued or in flight). */
  readonly pendingFrames: () => number;
}

export const createGatewayMetrics = (sources: GatewayMetricSources) => {
  const registry = new Registry();
  const m = {
    registry,
    connections: new Gauge({ name: 'gridfleet_gateway_connections', help: 'Connected push-mode devices', registers: [registry] }),
    frames: new Counter({ name: 'gridfleet_gateway_frames_total', help: 'Device frames by outcome', labelNames: ['kind', 'result'] as const, registers: [registry] }),
    rejects: new Counter({ name: 'gridfleet_gateway_rejects_total', help: 'Rejected frames and connections by reason', labelNames: ['code'] as const, registers: [registry] }),
    produceLatency: new Histogram({
      name: 'gridfleet_gateway_produce_latency_seconds', help: 'Frame accepted to Kafka acknowledged',
      // Fine enough around the 0.5 s and 1 s aims that a p99 read from the buckets (the demo's
      // verdict, the dashboards) is not just the next bound up.
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2.5, 5], registers: [registry],
    }),
    pending: new Gauge({
      name: 'gridfleet_gateway_pending_frames', help: 'Telemetry frames waiting for Kafka to acknowledge them (queued or in flight)', registers: [registry],
      collect() {
        this.set(sources.pendingFrames());
      },
    }),
    backpressure: new Gauge({ name: 'gridfleet_gateway_backpressure', help: '1 while the gateway has stopped reading from devices', registers: [registry] }),
    deliveries: new Counter({ name: 'gridfleet_gateway_deliveries_total', help: 'Commands and forecast bundles delivered', labelNames: ['kind', 'mode'] as const, registers: [registry] }),
    deadLetters: new Counter({ name: 'gridfleet_gateway_dead_letters_total', help: 'Rejected frames written to dead.letters.v1, or dropped when that queue was full', labelNames: ['result'] as const, registers: [registry] }),
    polls: new Counter({ name: 'gridfleet_gateway_polls_total', help: 'Poll requests by answer', labelNames: ['status'] as const, registers: [registry] }),
  };
  return m;
};

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;
