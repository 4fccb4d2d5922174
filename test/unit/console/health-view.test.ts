import { describe, expect, it } from 'vitest';
import {
  analyticsTier, createDeliveryTracker, forecastKinds, forecastTier, trackCreated, forecastLagMs, histogramP99Ms, latestDeliveryMs, parsePrometheus, rateOf, remember, sumOf, tierFromStatus, trackDelivery,
} from '../../../services/console/health-view.ts';

const TEXT = `# HELP gridfleet_gateway_connections Connected push-mode devices
# TYPE gridfleet_gateway_connections gauge
gridfleet_gateway_connections 42
gridfleet_gateway_frames_total{kind="telemetry",result="accepted"} 1000
gridfleet_gateway_frames_total{kind="telemetry",result="unavailable"} 3
gridfleet_gateway_frames_total{kind="ack",result="accepted"} 7
gridfleet_gateway_produce_latency_seconds_bucket{le="0.01"} 50
gridfleet_gateway_produce_latency_seconds_bucket{le="0.25"} 98
gridfleet_gateway_produce_latency_seconds_bucket{le="0.5"} 100
gridfleet_gateway_produce_latency_seconds_bucket{le="+Inf"} 100
gridfleet_ingest_lag_records{topic="telemetry.v1",partition="0"} 5
gridfleet_ingest_lag_records{topic="telemetry.v1",partition="1"} 7
odd{label="with \\"quote\\""} 1
`;

describe('health view model', () => {
  const samples = parsePrometheus(TEXT);

  it('parses Prometheus text and sums by labels', () => {
    expect(sumOf(samples, 'gridfleet_gateway_connections')).toBe(42);
    expect(sumOf(samples, 'gridfleet_gateway_frames_total', { kind: 'telemetry', result: 'accepted' })).toBe(1000);
    expect(sumOf(samples, 'gridfleet_gateway_frames_total', { result: 'accepted' })).toBe(1007);
    expect(sumOf(samples, 'gridfleet_ingest_lag_records')).toBe(12);
    expect(sumOf(samples, 'absent_metric')).toBeNull();
    expect(samples.find((s) => s.name === 'odd')?.labels['label']).toBe('with "quote"');
  });

  it('p99 is the bound of the first bucket holding 99 % of observations, in ms', () => {
    expect(histogramP99Ms(samples, 'gridfleet_gateway_produce_latency_seconds')).toBe(500);
    expect(histogramP99Ms([], 'gridfleet_gateway_produce_latency_seconds')).toBeNull();
  });

  it('rates need two readings of a counter that did not reset', () => {
    expect(rateOf({ value: 100, atMs: 0 }, { value: 200, atMs: 10_000 })).toBe(10);
    expect(rateOf(null, { value: 200, atMs: 10_000 })).toBeNull();
    expect(rateOf({ value: 300, atMs: 0 }, { value: 200, atMs: 10_000 })).toBeNull();
    expect(rateOf({ value: 100, atMs: 10_000 }, { value: 200, atMs: 10_000 })).toBeNull();
  });

  it('readings kept for a windowed rate: the window plus one base reading before it', () => {
    let h: Array<{ value: number; atMs: number }> = [];
    for (let t = 0; t <= 20_000; t += 2_000) h = remember(h, { value: t / 100, atMs: t }, 10_000);
    expect(h[0]).toEqual({ value: 100, atMs: 10_000 });
    expect(h.at(-1)).toEqual({ value: 200, atMs: 20_000 });
    expect(rateOf(h[0] ?? null, { value: 210, atMs: 21_000 })).toBeCloseTo(10);
    // A restarted gateway starts the history again.
    expect(remember(h, { value: 3, atMs: 22_000 }, 10_000)).toEqual([{ value: 3, atMs: 22_000 }]);
  });

  it('tier states from health answers', () => {
    expect(tierFromStatus('control', 200, 'u').state).toBe('up');
    expect(tierFromStatus('assets', 503, 'u').state).toBe('degraded');
    expect(tierFromStatus('ingest', null, 'u')).toEqual({ tier: 'ingest', state: 'down', detail: 'no answer from u' });
    expect(tierFromStatus('gateway', 500, 'u').state).toBe('down');
  });

  it('analytics: down after a failed query, degraded while ingest is paused, unknown before any query', () => {
    expect(analyticsTier({ state: 'unavailable', atMs: 1, reason: 'refused' }, 0)).toMatchObject({ state: 'down', detail: 'analytics unavailable: refused' });
    expect(analyticsTier({ state: 'available', atMs: 1 }, 1).state).toBe('degraded');
    expect(analyticsTier({ state: 'available', atMs: 1 }, 0).state).toBe('up');
    expect(analyticsTier({ state: 'unknown' }, null).state).toBe('unknown');
  });

  it('dispatch to delivered: from creation to the first poll with every site answered, for events this console created', () => {
    const t = createDeliveryTracker();
    trackCreated(t, 'e1', 1000);
    trackDelivery(t, 'e1', 8, 0, 1200);
    trackDelivery(t, 'e1', 8, 7, 1500);
    expect(latestDeliveryMs(t)).toBeNull();
    trackDelivery(t, 'e1', 8, 8, 2000);
    trackDelivery(t, 'e1', 8, 8, 9000);
    expect(latestDeliveryMs(t)).toBe(1000);
    // An event someone else created is not timed: its first sight says nothing about when it was sent.
    trackDelivery(t, 'other', 2, 2, 5000);
    expect(latestDeliveryMs(t)).toBe(1000);
    trackCreated(t, 'e2', 6000);
    trackCreated(t, 'e2', 7000);
    trackDelivery(t, 'e2', 2, 2, 6500);
    expect(latestDeliveryMs(t)).toBe(500);
  });

  it('forecast lag in fleet time', () => {
    expect(forecastLagMs({ newestForecastMs: 1000, newestTelemetryMs: 61_000 })).toBe(60_000);
    expect(forecastLagMs({ newestForecastMs: null, newestTelemetryMs: 1 })).toBeNull();
  });

  it('forecast jobs per kind from their metrics, and the tier state', () => {
    const fc = parsePrometheus([
      'gridfleet_forecast_age_seconds{kind="solar"} 1800',
      'gridfleet_forecast_age_seconds{kind="weather"} 600',
      'gridfleet_forecast_runs_total{kind="solar",outcome="completed"} 3',
      'gridfleet_forecast_runs_total{kind="solar",outcome="partial"} 1',
      'gridfleet_forecast_runs_total{kind="weather",outcome="failed"} 2',
    ].join('\n'));
    const kinds = forecastKinds(fc);
    expect(kinds).toEqual([
      { kind: 'solar', ageSec: 1800, completed: 3, partial: 1, failed: 0 },
      { kind: 'weather', ageSec: 600, completed: 0, partial: 0, failed: 2 },
    ]);
    expect(forecastTier(200, 'u', kinds)).toMatchObject({ state: 'degraded', detail: 'more failed or partial runs than completed: weather' });
    expect(forecastTier(200, 'u', kinds.slice(0, 1)).state).toBe('up');
    expect(forecastTier(200, 'u', []).state).toBe('unknown');
    expect(forecastTier(null, 'u', []).state).toBe('down');
  });
});
