import { PlatformError } from './errors.ts';

/**
 * Which ClickHouse failures a retry can fix. Pure: the sink passes the server's error code in (a
 * numeric string, absent when ClickHouse did not answer at all).
 *
 * Rejected for good: the insert can never succeed as sent until someone changes the schema, the
 * grants or ingest itself (unknown table or column, a type the table does not take, bad
 * credentials, a read-only user). Everything else is retried: the network, timeouts, memory and
 * too-many-parts back-pressure, a server starting up, and any code not listed here (retrying an
 * unknown failure costs little; giving up on a transient one would stop a partition for nothing).
 */
export const RejectingCodes: Readonly<Record<string, string>> = Object.freeze({
  '10': 'NOT_FOUND_COLUMN_IN_BLOCK',
  '16': 'NO_SUCH_COLUMN_IN_TABLE',
  '27': 'CANNOT_PARSE_INPUT_ASSERTION_FAILED',
  '33': 'CANNOT_READ_ALL_DATA',
  '44': 'ILLEGAL_COLUMN',
  '47': 'UNKNOWN_IDENTIFIER',
  '53': 'TYPE_MISMATCH',
  '60': 'UNKNOWN_TABLE',
  '62': 'SYNTAX_ERROR',
  '70': 'CANNOT_CONVERT_TYPE',
  '81': 'UNKNOWN_DATABASE',
  '164': 'READONLY',
  '192': 'UNKNOWN_USER',
  '193': 'WRONG_PASSWORD',
  '497': 'ACCESS_DENIED',
  '516': 'AUTHENTICATION_FAILED',
});

export type InsertFailureKind = 'retriable' | 'rejected';

export const classifyClickHouseError = (code: string | undefined): InsertFailureKind =>
  code !== undefined && code in RejectingCodes ? 'rejected' : 'retriable';

/** Whether ClickHouse answered at all (a server error code) rather than being unreachable. */
export const clickhouseErrorCode = (e: unknown): string | undefined =>
  typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' && /^\d+$/.test(e.code) ? e.code : undefined;

/** The PlatformError for a failed ClickHouse call: rejected for good, or worth retrying. */
export const toClickHouseError = (what: string, e: unknown): PlatformError => {
  const code = clickhouseErrorCode(e);
  const msg = e instanceof Error ? e.message : String(e);
  return classifyClickHouseError(code) === 'rejected'
    ? new PlatformError('CLICKHOUSE_REJECTED', `${what}: ClickHouse code ${code} ${RejectingCodes[code ?? ''] ?? ''}: ${msg}`, { cause: e })
    : new PlatformError('CLICKHOUSE_UNAVAILABLE', `${what}: ${code === undefined ? '' : `ClickHouse code ${code}: `}${msg}`, { cause: e });
};
