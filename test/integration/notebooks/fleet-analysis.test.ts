// The data scientists' notebook must run top to bottom against the embedded ClickHouse with the
// official Python client, as the analyst: a renamed table or column breaks this test, not their
// first hour. Seeds a feeder with two sites, a dispatch and telemetry of its own, and checks the
// notebook reports that dispatch's measured response against its target.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createClient } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import { freshName, testConfig } from '../../support/stack-env.ts';

const run = promisify(execFile);
const VENV = join('.state', 'venv-notebook');
const python = join(VENV, 'bin', 'python');

const ensureVenv = async (): Promise<void> => {
  if (existsSync(join(VENV, '.installed'))) return;
  mkdirSync('.state', { recursive: true });
  await run('python3', ['-m', 'venv', VENV], { timeout: 120_000 });
  await run(join(VENV, 'bin', 'pip'), ['install', '--quiet', '-r', 'notebooks/requirements.txt'], { timeout: 900_000 });
  await run(python, ['-m', 'ipykernel', 'install', '--prefix', VENV, '--name', 'python3'], { timeout: 120_000 });
  await run('touch', [join(VENV, '.installed')]);
};

const EXECUTE = `
import sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(nb, timeout=300, kernel_name="python3").execute()
nbformat.write(nb, sys.argv[2])
`;

const seed = async (feeder: string, region: string, eventId: string, startMs: number): Promise<void> => {
  const ch = createClient({ url: testConfig().clickhouseUrl, username: 'ingest', password: 'ingest', database: 'gridfleet' });
  const at = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
  try {
    const sites = [`${feeder}-a`, `${feeder}-b`];
    await ch.insert({ table: 'assets', format: 'JSONEachRow', values: [
      { asset_id: feeder, kind: 'FEEDER', parent_id: null, name: feeder, updated_at: at(startMs), deleted: 0 },
      ...sites.map((s) => ({ asset_id: s, kind: 'SITE', parent_id: feeder, name: s, grid_region_id: region, updated_at: at(startMs), deleted: 0 })),
    ] });
    await ch.insert({ table: 'grid_events', format: 'JSONEachRow', values: [
      { event_id: eventId, kind: 'VPP_DISPATCH', scope_asset_id: feeder, target_mw: 0.01, start_at: at(startMs), end_at: at(startMs + 600_000), issued_by: 'operator:notebook-test', issued_at: at(startMs) },
    ] });
    // Two sites discharge 4 and 5 kW in the window: 9 kW against a 10 kW target.
    const frameAt = startMs + 120_000;
    await ch.insert({ table: 'telemetry', format: 'JSONEachRow', values: sites.map((s, i) => ({
      site_id: s, device_id: `${s}-dev`, seq: 1, measured_at: at(frameAt), received_at: at(frameAt),
      soc_pct: 60, battery_kw: 4 + i, solar_kw: 0, load_kw: 1, grid_kw: -3 - i, battery_temp_c: 25, mode: 'DISPATCH', alarms: [], active_command_id: null,
    })) });
    // The carbon section joins a site's hour to the grid mix of that same hour, so the mix is
    // observed at the frame's time. It was a minute before the frame: when the seed's start fell
    // 60-120 s before a full hour (1 run in 60), the two lay in different hours and the region's
    // row was missing (a CI run: "expected '  day  grid_region ...' to contain 'grid-nb'").
    await ch.insert({ table: 'grid_mix', format: 'JSONEachRow', values: [
      { region_id: region, observed_at: at(frameAt), interval_minutes: 30, carbon_g_per_kwh: 420, demand_mw: 1000, generation_source: ['GAS'], generation_mw: [1000] },
    ] });
  } finally {
    await ch.close();
  }
};

interface Output { output_type: string; text?: string | string[]; ename?: string; evalue?: string }
interface Cell { cell_type: string; outputs?: Output[] }

describe('notebooks/fleet-analysis.ipynb', () => {
  it('runs top to bottom as the analyst and reports a dispatch against its target', async () => {
    await ensureVenv();
    const feeder = freshName('nb-feeder');
    const eventId = freshName('evt-nb');
    // A region of its own: another run's rows on the same stack cannot stand in for this one's.
    const region = freshName('grid-nb');
    // Issued in the future of every other test's events, so it is among the notebook's newest.
    await seed(feeder, region, eventId, Date.now() + 86_400_000);
    const out = join(mkdtempSync(join(tmpdir(), 'notebook-')), 'executed.ipynb');
    await run(python, ['-c', EXECUTE, 'notebooks/fleet-analysis.ipynb', out], {
      env: { ...process.env, CLICKHOUSE_URL: testConfig().clickhouseUrl, CLICKHOUSE_USER: 'analyst', CLICKHOUSE_PASSWORD: 'analyst', JUPYTER_PATH: join(VENV, 'share', 'jupyter') },
      timeout: 600_000,
    });
    const cells = (JSON.parse(readFileSync(out, 'utf8')) as { cells: Cell[] }).cells.filter((c) => c.cell_type === 'code');
    const text = cells.map((c) => (c.outputs ?? []).map((o) => (Array.isArray(o.text) ? o.text.join('') : o.text ?? '')).join(''));
    expect(cells.flatMap((c) => c.outputs ?? []).filter((o) => o.output_type === 'error')).toEqual([]);
    expect(text).toHaveLength(5);
    expect(text[0]).toMatch(/^ClickHouse \S+ as analyst/);
    expect(text[1]).toMatch(/solar_kwh|no telemetry yet/);
    const dispatchLine = (text[2] ?? '').split('\n').find((l) => l.includes(eventId));
    expect(dispatchLine, text[2]).toBeDefined();
    // target 10 kW, peak response 9 kW, 90 % of target
    expect(dispatchLine).toMatch(new RegExp(`${eventId}\\s+${feeder}\\s+10\\.0\\s+9\\.0\\s+90\\.0\\s+1`));
    expect(text[3]).toMatch(/horizon_hours|no scored forecasts yet/);
    expect(text[4]).toMatch(/carbon_avoided_kg/);
    // 4 + 5 kWh discharged in the hour at 420 g/kWh: 3.78 kg avoided.
    const carbonLine = (text[4] ?? '').split('\n').find((l) => l.includes(region));
    expect(carbonLine, text[4]).toMatch(new RegExp(`${region}\\s+9\\.0\\s+0\\.0\\s+3\\.78\\s*$`));
  }, 1_200_000);
});
