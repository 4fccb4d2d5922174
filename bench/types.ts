/**
 * A benchmark module under bench/ default-exports a Benchmark. `npm run bench -- <name> [--json]
 * [--key=value ...]` loads bench/<name>.ts, runs it, prints its rows as a table and, with --json,
 * one flat JSON object on the last line: the metrics (camelCase, unit in the name, such as
 * eventsPerSec or latencyP99Ms) merged with the parameters it ran with.
 */
export type Metric = number | string | boolean;

export interface BenchContext {
  /** `--key=value` options given on the command line (`--flag` alone is "true"). */
  readonly options: Readonly<Record<string, string>>;
  /** Progress lines go here (stderr), never to stdout. */
  readonly progress: (line: string) => void;
}

export interface BenchOutcome {
  /** Human table rows: [label, value, optional note]. */
  readonly rows: ReadonlyArray<readonly [string, string, string?]>;
  readonly metrics: Readonly<Record<string, Metric>>;
  readonly parameters: Readonly<Record<string, Metric>>;
}

export interface Benchmark {
  readonly name: string;
  readonly description: string;
  run(ctx: BenchContext): Promise<BenchOutcome>;
}
