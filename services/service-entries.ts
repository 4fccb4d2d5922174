/**
 * The services and commands one image runs, and the module of each (relative to services/). The
 * build bundles each into dist/<name>.js; services/main.ts picks one by name.
 */
export const SERVICE_ENTRIES = {
  gateway: './operational/gateway/main.ts',
  assets: './operational/assets/main.ts',
  control: './operational/control/main.ts',
  ingest: './analytics/ingest/main.ts',
  forecast: './analytics/forecast/cli.ts',
  console: './console/main.ts',
  registry: './embedded/registry/main.ts',
  clickhouse: './embedded/clickhouse/main.ts',
  simulator: './edge/simulator/main.ts',
  stack: './embedded/stack/cli.ts',
  sql: './analytics/ingest/sql-cli.ts',
  ops: './operational/control/ops-cli.ts',
} as const;

export type ServiceName = keyof typeof SERVICE_ENTRIES;

export const SERVICE_NAMES = Object.keys(SERVICE_ENTRIES) as ServiceName[];

export const isServiceName = (s: string): s is ServiceName => Object.hasOwn(SERVICE_ENTRIES, s);
