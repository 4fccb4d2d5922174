/**
 * Infrastructure errors carry a stable code and whether retrying can help.
 * Expected outcomes (bad input, business rules) are Result values instead.
 */
export const ErrorCodes = {
  CONFIG_INVALID: { message: 'Configuration is invalid', canRetry: false },
  KAFKA_UNAVAILABLE: { message: 'Kafka is not reachable', canRetry: true },
  KAFKA_PRODUCE_FAILED: { message: 'Kafka produce failed', canRetry: true },
  KAFKA_NOT_OWNER: { message: 'This consumer does not own the partition (it moved in a rebalance)', canRetry: false },
  CLICKHOUSE_UNAVAILABLE: { message: 'ClickHouse is not reachable or did not accept the request', canRetry: true },
  CLICKHOUSE_REJECTED: { message: 'ClickHouse rejected the request for a reason retrying cannot fix', canRetry: false },
  REGISTRY_UNAVAILABLE: { message: 'Schema registry is not reachable', canRetry: true },
  SCHEMA_NOT_FOUND: { message: 'Schema not found', canRetry: false },
  SCHEMA_INVALID: { message: 'Schema is invalid', canRetry: false },
  SCHEMA_INCOMPATIBLE: { message: 'Schema is incompatible', canRetry: false },
  CODEC_FAILED: { message: 'Encoding or decoding failed', canRetry: false },
  STACK_PREREQUISITE_MISSING: { message: 'A prerequisite of the embedded stack is missing', canRetry: false },
  STACK_PORT_TAKEN: { message: 'A port the embedded stack needs is taken', canRetry: false },
  STACK_START_FAILED: { message: 'A part of the embedded stack failed to start', canRetry: true },
  TIMEOUT: { message: 'Timed out', canRetry: true },
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export class PlatformError extends Error {
  readonly code: ErrorCode;
  readonly canRetry: boolean;
  /** CONFIG_INVALID: every problem found, one line each (startup.ts prints them). */
  readonly problems: readonly string[];

  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown; canRetry?: boolean; problems?: readonly string[] }) {
    super(message ?? ErrorCodes[code].message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PlatformError';
    this.code = code;
    this.canRetry = options?.canRetry ?? ErrorCodes[code].canRetry;
    this.problems = Object.freeze([...(options?.problems ?? [])]);
  }
}

/** The CONFIG_INVALID error of a parse*Config: `<what> configuration is invalid:` and one line per problem. */
export const configInvalid = (what: string, problems: readonly string[]): PlatformError =>
  new PlatformError('CONFIG_INVALID', `${what} configuration is invalid:\n  - ${problems.join('\n  - ')}`, { problems });

export const isPlatformError = (e: unknown, code?: ErrorCode): e is PlatformError =>
  e instanceof PlatformError && (code === undefined || e.code === code);

export const describeError = (e: unknown): string => (e instanceof Error ? e.message : String(e));
