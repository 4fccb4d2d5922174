// `npm run ops` against a running control on the embedded stack, as an operator uses it: dispatch,
// list, show, cancel, and control's refusals passed through with exit 1.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Control } from '../../../../services/operational/control/control.ts';
import { freshName } from '../../../support/stack-env.ts';
import { assetDef, publishDefs, publishStates, siteState, startTestControl, TOKENS } from './control-fixture.ts';

const ops = (url: string, args: string[], token: string = TOKENS.operator): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'services/operational/control/ops-cli.ts', ...args, '--url', url, '--token', token], { encoding: 'utf8', timeout: 60_000 },
      (e, stdout, stderr) => resolve({ code: e === null ? 0 : typeof e.code === 'number' ? e.code : 1, stdout, stderr }));
  });

describe('npm run ops', () => {
  const feeder = freshName('feeder');
  const sites = [`${feeder}-a`, `${feeder}-b`];
  let control: Control;

  beforeAll(async () => {
    await publishDefs([assetDef(feeder, 'FEEDER', null), ...sites.map((s) => assetDef(s, 'SITE', feeder))]);
    await publishStates(sites.map((s) => siteState(s, 1)));
    control = await startTestControl();
  });
  afterAll(async () => control.close());

  it('dispatches, lists, shows and cancels an event', async () => {
    const created = await ops(control.url, ['events', 'dispatch', '--kind', 'VPP_DISPATCH', '--scope', feeder, '--target-mw', '0.004', '--duration-min', '30', '--reason', 'ops cli test', '--json']);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const eventId = (JSON.parse(created.stdout) as { event: { eventId: string } }).event.eventId;
    expect(eventId).toMatch(/^evt-/);

    const list = await ops(control.url, ['events', 'list'], TOKENS.viewer);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${eventId} \\| VPP_DISPATCH \\| ${feeder}`));

    const shown = await ops(control.url, ['events', 'show', eventId], TOKENS.viewer);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`VPP_DISPATCH of ${feeder}`);
    expect(shown.stdout).toMatch(/target {6}4\.0 kW/);

    const cancelled = await ops(control.url, ['events', 'cancel', eventId, '--reason', 'done']);
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toContain('CANCELLED');
  });

  it("passes control's refusals through with exit 1, and usage errors with exit 2", async () => {
    const viewer = await ops(control.url, ['events', 'dispatch', '--kind', 'OUTAGE', '--scope', feeder, '--duration-min', '10'], TOKENS.viewer);
    expect(viewer.code).toBe(1);
    expect(viewer.stderr).toMatch(/^403 FORBIDDEN: /);
    const missing = await ops(control.url, ['events', 'show', 'evt-does-not-exist']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^404 /);
    const usage = await ops(control.url, ['events', 'dispatch', '--kind', 'OUTAGE']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--scope');
  });

  it('says when control cannot be reached (exit 3)', async () => {
    const r = await ops('http://127.0.0.1:9', ['events', 'list']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^cannot reach control/);
  });
});
