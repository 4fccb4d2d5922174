/**
 * Every command answers `--help` with its usage on stdout and exit 0, before it starts anything:
 * `npm run demo -- --help` used to start the whole stack and a fleet, `npm run build -- --help` to
 * rebuild dist/.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const commands: ReadonlyArray<readonly [string, string]> = [
  ['npm run stack', 'services/embedded/stack/cli.ts'],
  ['npm run demo', 'services/demo/main.ts'],
  ['npm run bench', 'bench/run.ts'],
  ['npm run sql', 'services/analytics/ingest/sql-cli.ts'],
  ['npm run forecast', 'services/analytics/forecast/cli.ts'],
  ['npm run forecasts', 'services/analytics/forecast/tail-cli.ts'],
  ['npm run console', 'services/console/main.ts'],
  ['npm run ops', 'services/operational/control/ops-cli.ts'],
  ['npm run build', 'infra/build/build.ts'],
  ['npm run service', 'services/main.ts'],
];

describe('--help', () => {
  for (const [name, entry] of commands) {
    for (const flag of ['--help', '-h']) {
      it(`${name} -- ${flag} prints its usage and starts nothing`, () => {
        const r = spawnSync(process.execPath, ['--import', 'tsx', entry, flag], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, GRIDFLEET_STATE_DIR: '.state/help-test-never-created' } });
        expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
        expect(r.stdout).toMatch(/^usage: /);
        expect(`${r.stdout}${r.stderr}`).not.toMatch(/starting|listening|stack up|built /i);
      }, 90_000);
    }
  }
});
