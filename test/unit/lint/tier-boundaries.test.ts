// Guards the architecture: an operational or edge file that imports analytics, the simulator or
// the embedded stack must fail the lint, or "analytics can never block control" is only hoped for.
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import config from '../../../eslint.config.js';
import { tierBoundaries } from '../../../infra/lint/tier-boundaries.js';

// Only the boundary blocks (no type-aware rules), so planted files need not exist on disk.
const eslint = new ESLint({
  overrideConfigFile: true,
  overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } }, ...tierBoundaries],
});

const lint = async (filePath: string, code: string): Promise<string[]> => {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? ''}: ${m.message}`);
};

describe('tier boundaries (infra/lint/tier-boundaries.js)', () => {
  const forbidden: Array<[string, string]> = [
    ['services/operational/gateway/planted.ts', "import { x } from '../../analytics/ingest/clickhouse-sink.ts';"],
    ['services/operational/control/planted.ts', "export { x } from '../../edge/simulator/fleet-runner.ts';"],
    ['services/operational/assets/planted.ts', "import type { X } from '../../embedded/stack/stack.ts';"],
    ['services/analytics/forecast/models/planted.ts', "import { sun } from '../../../edge/simulator/physics/site-sim.ts';"],
    ['services/analytics/ingest/planted.ts', "import { y } from '../../operational/gateway/gateway.ts';"],
    ['services/edge/agent/planted.ts', "import { z } from '../simulator/physics/weather-field.ts';"],
    ['services/platform/planted.ts', "import { g } from '../operational/gateway/config.ts';"],
    ['services/operational/gateway/planted.ts', "import { h } from '../../../test/support/stack-env.ts';"],
  ];
  it.each(forbidden)('%s: %s fails the lint', async (file, code) => {
    const messages = await lint(file, code);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/^no-restricted-imports: /);
  });

  const allowed: Array<[string, string]> = [
    ['services/operational/gateway/planted.ts', "import { x } from '../../platform/kafka.ts';"],
    ['services/operational/gateway/planted.ts', "import { x } from '../control/event-request.ts';"],
    ['services/analytics/forecast/planted.ts', "import { x } from '../ingest/row-binary.ts';"],
    ['services/edge/simulator/planted.ts', "import { x } from '../agent/agent.ts';"],
    ['services/edge/agent/planted.ts', "import { x } from '../../platform/solar-geometry.ts';"],
    ['services/demo/planted.ts', "import { x } from '../analytics/forecast/demo-summary.ts';"],
  ];
  it.each(allowed)('%s: %s passes', async (file, code) => {
    expect(await lint(file, code)).toEqual([]);
  });

  it('is part of the project lint config', () => {
    for (const block of tierBoundaries) expect(config).toContain(block);
  });
});
