// The observability pack must stay true to the code: the alert rules are valid and do what their
// unit tests say (promtool, from Debian's prometheus package), every metric an alert or a panel
// uses is one a service exports, and the analytics dashboard's SQL runs on the embedded ClickHouse
// as the analyst, so a renamed metric or column breaks the build instead of a dashboard.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createClient } from '@clickhouse/client';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../support/stack-env.ts';

const run = promisify(execFile);
const DIR = 'infra/observability';

const promtool = async (args: string[]): Promise<{ code: number; out: string }> =>
  run('promtool', args, { encoding: 'utf8', timeout: 120_000 }).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code?: number | string; stdout?: string; stderr?: string }) => ({ code: typeof e.code === 'number' ? e.code : 127, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }),
  );

/** promtool comes with Debian's prometheus package; installed here when missing (as root). */
const ensurePromtool = async (): Promise<void> => {
  if ((await promtool(['--version'])).code === 0) return;
  await run('apt-get', ['install', '-y', '-q', 'prometheus'], { timeout: 600_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).catch(async () => {
    await run('apt-get', ['update', '-q'], { timeout: 600_000 });
    await run('apt-get', ['install', '-y', '-q', 'prometheus'], { timeout: 600_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  });
};

/** Every metric name a service registers with prom-client (`name: '...'` in services/). */
const exportedMetrics = (): Set<string> => {
  const names = new Set<string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts')) for (const m of readFileSync(p, 'utf8').matchAll(/name: '([a-z][a-z0-9_]*)'/g)) names.add(m[1] ?? '');
    }
  };
  walk('services');
  return names;
};

const PROMQL_WORDS = new Set(['sum', 'by', 'rate', 'increase', 'histogram_quantile', 'max', 'min', 'avg', 'or', 'and', 'time', 'up', 'le', 'kind', 'code', 'job', 'without', 'on', 'ignoring']);
/** Metric names in a PromQL expression (identifiers not followed by '(' and not label names or keywords). */
const metricsIn = (expr: string): string[] =>
  [...expr.replace(/\{[^}]*\}/g, '').replace(/\[[^\]]*\]/g, '').matchAll(/\b([a-z_][a-z0-9_]*)\b(?!\s*\()/g)]
    .map((m) => m[1] ?? '')
    .filter((n) => !PROMQL_WORDS.has(n) && n.includes('_'))
    .map((n) => n.replace(/_(bucket|sum|count)$/, ''));

const unknownMetrics = (exprs: readonly string[], known: ReadonlySet<string>): string[] => [...new Set(exprs.flatMap(metricsIn))].filter((m) => !known.has(m));

describe('observability pack (infra/observability)', () => {
  beforeAll(ensurePromtool, 900_000);

  it('the scrape config and the rules are valid, and each alert fires as its unit test says', async () => {
    const config = await promtool(['check', 'config', `${DIR}/prometheus/prometheus.yml`]);
    expect(config.out).toContain('SUCCESS');
    expect(config.code).toBe(0);
    const tests = await promtool(['test', 'rules', `${DIR}/prometheus/alerts.test.yml`]);
    expect(tests.out).toContain('SUCCESS');
    expect(tests.code).toBe(0);
    // Negative control: a rule with a broken expression is refused.
    const bad = join(mkdtempSync(join(tmpdir(), 'rules-')), 'bad.yml');
    writeFileSync(bad, readFileSync(`${DIR}/prometheus/alerts.yml`, 'utf8').replace('> 500000', '> > 500000'));
    expect((await promtool(['check', 'rules', bad])).code).not.toBe(0);
  }, 300_000);

  it('every alert has a runbook entry, and every metric it or a fleet panel uses is exported by a service', () => {
    const rules = (parse(readFileSync(`${DIR}/prometheus/alerts.yml`, 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string; annotations: { runbook_url: string } }> }> }).groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThanOrEqual(8);
    const runbook = readFileSync('docs/operations.md', 'utf8').toLowerCase();
    for (const r of rules) {
      expect(r.annotations.runbook_url).toBe(`docs/operations.md#${r.alert.toLowerCase()}`);
      expect(runbook, `docs/operations.md has no "### ${r.alert}"`).toContain(`### ${r.alert.toLowerCase()}`);
    }
    const fleet = JSON.parse(readFileSync(`${DIR}/grafana/dashboards/fleet.json`, 'utf8')) as { panels: Array<{ targets: Array<{ expr: string }> }> };
    const exprs = [...rules.map((r) => r.expr), ...fleet.panels.flatMap((p) => p.targets.map((t) => t.expr))];
    const known = exportedMetrics();
    expect(unknownMetrics(exprs, known)).toEqual([]);
    // Negative control: a metric under its old (pre-gridfleet_) name, or misspelt, is caught.
    expect(unknownMetrics(['rate(gateway_frames_total[5m])', 'rate(gridfleet_gateway_frames_totals[5m])', 'sum(gridfleet_gateway_frames_total)'], known)).toEqual(['gateway_frames_total', 'gridfleet_gateway_frames_totals']);
  });

  it("the analytics dashboard's queries run on the embedded ClickHouse as the analyst", async () => {
    const dash = JSON.parse(readFileSync(`${DIR}/grafana/dashboards/analytics.json`, 'utf8')) as { panels: Array<{ title: string; targets: Array<{ rawSql: string }> }> };
    const ch = createClient({ url: testConfig().clickhouseUrl, username: 'analyst', password: 'analyst', database: 'gridfleet' });
    try {
      const failures: string[] = [];
      for (const p of dash.panels) for (const t of p.targets) {
        // The data source's macro, expanded as the plugin does for a 7-day range.
        const sql = t.rawSql.replace(/\$__timeFilter\(([^)]+)\)/g, '$1 >= now() - INTERVAL 7 DAY AND $1 <= now()');
        await ch.query({ query: sql, format: 'JSONEachRow' }).then((r) => r.json(), (e: unknown) => failures.push(`${p.title}: ${e instanceof Error ? e.message : String(e)}`));
      }
      expect(failures).toEqual([]);
      // Negative control: a renamed column fails the same way.
      const renamed = (dash.panels[0]?.targets[0]?.rawSql ?? '').replace('solar_kwh', 'solar_kwh_renamed').replace(/\$__timeFilter\(([^)]+)\)/g, '1');
      await expect(ch.query({ query: renamed, format: 'JSONEachRow' }).then((r) => r.json())).rejects.toThrow(/solar_kwh_renamed/);
    } finally {
      await ch.close();
    }
  });
});
