// The deployment beyond one machine must stay true to the code: the Kubernetes manifests validate
// against the Kubernetes schemas (kubernetes-validate, which ships them, in a virtual environment
// this test makes), and every variable a manifest or the compose file sets is one that the
// service's config parser reads, so a renamed setting breaks the build, not a rollout.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments, parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { serviceEnvNames } from '../../support/config-env-names.ts';

const run = promisify(execFile);
const MANIFESTS = ['config.yaml', 'operational.yaml', 'analytics.yaml', 'console.yaml'].map((f) => join('infra/kubernetes', f));
const VENV = join('.state', 'venv-deploy');

const validator = async (): Promise<string> => {
  const bin = join(VENV, 'bin', 'kubernetes-validate');
  if (!existsSync(bin)) {
    mkdirSync('.state', { recursive: true });
    await run('python3', ['-m', 'venv', VENV], { timeout: 120_000 });
    await run(join(VENV, 'bin', 'pip'), ['install', '--quiet', 'kubernetes-validate==1.37.0'], { timeout: 600_000 });
  }
  return bin;
};

const validate = async (files: readonly string[]): Promise<{ code: number; out: string }> => {
  const bin = await validator();
  return run(bin, ['--strict', ...files], { encoding: 'utf8' }).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }),
  );
};

type Doc = Record<string, unknown>;
interface Container { args?: string[]; command?: string[]; env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { key: string } } }>; envFrom?: Array<{ configMapRef?: { name: string } }> }

/** [service, variable] for every variable each container of the documents sets. */
const manifestVariables = (docs: readonly Doc[]): Array<[string, string]> => {
  const configMaps = new Map(docs.filter((d) => d['kind'] === 'ConfigMap').map((d) => [(d['metadata'] as { name: string }).name, Object.keys((d['data'] as object | undefined) ?? {})]));
  const out: Array<[string, string]> = [];
  for (const d of docs) {
    const spec = (d['spec'] as { template?: { spec?: { containers?: Container[] } } } | undefined)?.template?.spec;
    for (const c of spec?.containers ?? []) {
      const service = c.args?.[0] ?? '?';
      for (const e of c.env ?? []) out.push([service, e.name]);
      for (const f of c.envFrom ?? []) for (const k of configMaps.get(f.configMapRef?.name ?? '') ?? []) out.push([service, k]);
    }
  }
  return out;
};

const unknownVariables = (pairs: ReadonlyArray<[string, string]>): string[] =>
  pairs.filter(([service, name]) => !(serviceEnvNames(service)?.has(name) ?? false)).map(([s, n]) => `${s}: ${n}`);

const k8sDocs = (): Doc[] => MANIFESTS.flatMap((f) => parseAllDocuments(readFileSync(f, 'utf8')).map((d) => d.toJS() as Doc));

describe('deployment manifests', () => {
  it('validate against the Kubernetes schemas (strict), and a planted mistake does not', async () => {
    const ok = await validate(MANIFESTS);
    expect(ok.out).not.toMatch(/ERROR|failed/i);
    expect(ok.code).toBe(0);
    const bad = join(mkdtempSync(join(tmpdir(), 'k8s-')), 'bad.yaml');
    writeFileSync(bad, readFileSync('infra/kubernetes/console.yaml', 'utf8').replace('replicas: 1', 'replicas: one').replace('readinessProbe:', 'readinesProbe:'));
    const planted = await validate([bad]);
    expect(planted.code).not.toBe(0);
  }, 900_000);

  it('set only variables the services read', () => {
    const pairs = manifestVariables(k8sDocs());
    expect(pairs.length).toBeGreaterThan(30);
    expect(new Set(pairs.map(([s]) => s))).toEqual(new Set(['gateway', 'assets', 'control', 'ingest', 'forecast', 'console', 'stack']));
    expect(unknownVariables(pairs)).toEqual([]);
    // Negative control: a misspelt variable is reported.
    expect(unknownVariables([['gateway', 'GATEWAY_PROT'], ['control', 'CONTROL_PORT']])).toEqual(['gateway: GATEWAY_PROT']);
  });

  it('the compose file runs every service from the one image with variables they read', () => {
    const compose = parse(readFileSync('infra/docker-compose.yml', 'utf8'), { merge: true }) as { services: Record<string, { image?: string; command?: string[]; environment?: Record<string, string> }> };
    const platform = Object.entries(compose.services).filter(([, s]) => s.image?.startsWith('gridfleet:') === true);
    expect(platform.map(([n]) => n).sort()).toEqual(['assets', 'console', 'control', 'forecast-scheduler', 'forecast-worker', 'gateway', 'ingest', 'migrate']);
    const pairs = platform.flatMap(([, s]) => Object.keys(s.environment ?? {}).map((k): [string, string] => [s.command?.[0] ?? '?', k]));
    expect(unknownVariables(pairs)).toEqual([]);
  });

  it("run the forecast jobs as their own ClickHouse user, not as default (issue 19's least privilege)", () => {
    // Guards a gap: the secured embedded stack logged them in as `forecast`, while compose and
    // Kubernetes left FORECAST_CLICKHOUSE_USER unset, so they ran as `default` (every table).
    const compose = parse(readFileSync('infra/docker-compose.yml', 'utf8'), { merge: true }) as { services: Record<string, { environment?: Record<string, string> }> };
    for (const name of ['forecast-worker', 'forecast-scheduler']) {
      const env = compose.services[name]?.environment ?? {};
      expect(env['FORECAST_CLICKHOUSE_USER'], name).toBe('forecast');
      // The password the compose ClickHouse gives that user.
      expect(readFileSync('infra/clickhouse/docker-users.xml', 'utf8')).toContain(`<forecast>\n      <password>${env['FORECAST_CLICKHOUSE_PASSWORD'] ?? '?'}</password>`);
    }
    const forecastContainers = k8sDocs().flatMap((d) => (d['spec'] as { template?: { spec?: { containers?: Container[] } } } | undefined)?.template?.spec?.containers ?? []).filter((c) => c.args?.[0] === 'forecast');
    expect(forecastContainers.map((c) => c.args?.[1])).toEqual(['worker', 'scheduler']);
    for (const c of forecastContainers) {
      const env = new Map((c.env ?? []).map((e) => [e.name, e]));
      expect(env.get('FORECAST_CLICKHOUSE_USER')?.value, c.args?.join(' ')).toBe('forecast');
      expect(env.get('FORECAST_CLICKHOUSE_PASSWORD')?.valueFrom?.secretKeyRef?.key, c.args?.join(' ')).toBe('FORECAST_CLICKHOUSE_PASSWORD');
    }
  });
});
