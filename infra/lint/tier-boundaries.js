// The tiers in the tree, enforced: which folders under services/ may import which. The rule of the
// platform is that analytics can never block control, and the first way it could is an import.
//
//   operational/**   imports platform/ and its own tier only
//   analytics/**     imports platform/ and its own tier only
//   edge/agent/**    imports platform/ only (it is the software a device runs)
//   edge/simulator/** imports platform/ and edge/agent/ (it runs the agent on simulated physics)
//   embedded/**      imports platform/ and its own tier (the one-machine infrastructure)
//   console/**       imports platform/ only; it reads the services over their HTTP APIs
//   platform/**      imports no service
//   demo/            wires everything together and may import anything
//
// The check is ESLint's own no-restricted-imports, matched on the import path as written: every
// import in this codebase is relative, so a path that walks into another tier's folder names it.
// Dynamic import() is not covered by the rule; the code base has none across tiers.

const TIERS = ['operational', 'analytics', 'edge', 'embedded', 'console', 'demo'];
const OUTSIDE = ['bench', 'test'];

/** A pattern that matches a relative import reaching into one of `folders`. */
const into = (folders, message) => ({
  regex: `^(\\.\\./)+(services/)?(${folders.join('|')})(/|$)`,
  message,
});

const block = (files, forbidden, who) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', {
      patterns: [
        into(forbidden, `${who} may import only services/platform and its own tier (see docs/architecture.md, "Import rules")`),
        into(OUTSIDE, `${who} is shipped code: it must not import tests or benchmarks`),
      ],
    }],
  },
});

export const tierBoundaries = [
  block(['services/operational/**'], TIERS.filter((t) => t !== 'operational'), 'operational code'),
  block(['services/analytics/**'], TIERS.filter((t) => t !== 'analytics'), 'analytics code'),
  block(['services/embedded/**'], TIERS.filter((t) => t !== 'embedded'), 'the embedded stack'),
  block(['services/console/**'], TIERS.filter((t) => t !== 'console'), 'the console'),
  block(['services/edge/simulator/**'], ['operational', 'analytics', 'embedded', 'console', 'demo'], 'the fleet simulator'),
  {
    files: ['services/edge/agent/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          into([...TIERS.filter((t) => t !== 'edge'), 'simulator', ...OUTSIDE], 'the edge agent runs on a device: it may import only services/platform'),
          { regex: '^\\.\\./\\.\\./(?!platform/)', message: 'the edge agent runs on a device: it may import only services/platform' },
        ],
      }],
    },
  },
  {
    files: ['services/platform/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ regex: '^\\.\\./', message: 'services/platform is the shared library: it imports no service' }],
      }],
    },
  },
];
