// Guards the metric naming rule (docs/operations.md, "Metric names"): the gateway, assets and
// forecast exported gateway_*, assets_* and forecast_* while ingest and control used gridfleet_*,
// and assets reported a restore in milliseconds and control its events in kW. Every metric a
// service registers with prom-client must be gridfleet_<service>_..., counters end in _total, and
// units are base units as a suffix (_seconds, _bytes, _watts), never _ms or _kw.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

interface Metric { readonly file: string; readonly type: string; readonly name: string }

/** prom-client constructors in a source text: `new Counter({ name: '...'` (the name may be on the next line). */
const metricsInSource = (file: string, text: string): Metric[] =>
  [...text.matchAll(/new (Counter|Gauge|Histogram|Summary)\(\{\s*name: '([^']*)'/g)].map((m) => ({ file, type: m[1] ?? '', name: m[2] ?? '' }));

const NOT_BASE_UNITS = /_(ms|milliseconds|minutes|hours|kw|kwh|mw|kb|kib|mb|mib)(_total)?$/;

/** What is wrong with a metric's name, or null. */
const violation = (m: Metric): string | null => {
  if (!/^gridfleet_[a-z][a-z0-9]*_[a-z0-9_]+$/.test(m.name)) return 'not gridfleet_<service>_<name> (lower case)';
  if (m.type === 'Counter' && !m.name.endsWith('_total')) return 'a counter without _total';
  if (m.type !== 'Counter' && m.name.endsWith('_total')) return `a ${m.type.toLowerCase()} ending in _total`;
  if ((m.type === 'Histogram' || m.type === 'Summary') && !/_(seconds|bytes)$/.test(m.name)) return 'a distribution without its unit (_seconds, _bytes)';
  if (NOT_BASE_UNITS.test(m.name)) return 'a unit that is not a base unit (seconds, bytes, watts)';
  return null;
};

const violations = (metrics: readonly Metric[]): string[] =>
  metrics.flatMap((m) => { const v = violation(m); return v === null ? [] : [`${m.file}: ${m.name}: ${v}`]; });

const serviceMetrics = (): Metric[] => {
  const out: Metric[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts')) out.push(...metricsInSource(p, readFileSync(p, 'utf8')));
    }
  };
  walk('services');
  return out;
};

describe('metric names', () => {
  it('every metric a service registers follows the rule, and no two share a name', () => {
    const metrics = serviceMetrics();
    // The gateway, assets, forecast, ingest, control and the shared HTTP server all register some.
    expect(metrics.length).toBeGreaterThanOrEqual(45);
    for (const service of ['gateway', 'assets', 'forecast', 'ingest', 'control', 'http']) {
      expect(metrics.some((m) => m.name.startsWith(`gridfleet_${service}_`)), service).toBe(true);
    }
    expect(violations(metrics)).toEqual([]);
    const names = metrics.map((m) => m.name);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });

  it('catches the names this rule replaced (negative control)', () => {
    const planted = metricsInSource('planted.ts', [
      "new Counter({ name: 'gateway_frames_total', help: '' })",
      "new Histogram({\n  name: 'gridfleet_gateway_produce_latency', help: '' })",
      "new Gauge({ name: 'gridfleet_assets_last_restore_ms', help: '' })",
      "new Gauge({ name: 'gridfleet_control_event_target_kw', help: '' })",
      "new Counter({ name: 'gridfleet_assets_rebalances', help: '' })",
      "new Gauge({ name: 'gridfleet_gateway_connections_total', help: '' })",
      "new Counter({ name: 'gridfleet_gateway_frames_total', help: '' })",
    ].join('\n'));
    expect(planted).toHaveLength(7);
    expect(violations(planted)).toEqual([
      'planted.ts: gateway_frames_total: not gridfleet_<service>_<name> (lower case)',
      'planted.ts: gridfleet_gateway_produce_latency: a distribution without its unit (_seconds, _bytes)',
      'planted.ts: gridfleet_assets_last_restore_ms: a unit that is not a base unit (seconds, bytes, watts)',
      'planted.ts: gridfleet_control_event_target_kw: a unit that is not a base unit (seconds, bytes, watts)',
      'planted.ts: gridfleet_assets_rebalances: a counter without _total',
      'planted.ts: gridfleet_gateway_connections_total: a gauge ending in _total',
    ]);
  });
});
