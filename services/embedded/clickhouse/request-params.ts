/**
 * The URL parameters and headers of one ClickHouse HTTP request, sorted into what the HTTP layer
 * consumes (query, database, format, ids, credentials, compression, sessions), `param_<name>`
 * values for `{name:Type}` placeholders, and engine settings (everything else). Pure.
 */
import { err, ok, type Result } from '../../platform/result.ts';
import { ownException, type ChException } from './exception.ts';

export interface Credentials {
  readonly user: string;
  readonly password: string;
}

export interface ParsedRequest {
  /** The query from the URL (`query=`), if any; the body may hold it or continue it. */
  readonly urlQuery: string | undefined;
  readonly database: string | undefined;
  readonly defaultFormat: string | undefined;
  readonly queryId: string | undefined;
  readonly sessionId: string | undefined;
  /** Seconds; ClickHouse's default is 60. */
  readonly sessionTimeoutSec: number;
  /** `session_check=1`: the session must already exist. */
  readonly sessionCheck: boolean;
  readonly credentials: Credentials | undefined;
  readonly params: Readonly<Record<string, string>>;
  /** Engine settings in the order they were given. */
  readonly settings: ReadonlyArray<readonly [string, string]>;
  /** `enable_http_compression=1`: compress the response when Accept-Encoding allows. */
  readonly compressResponse: boolean;
  /** `wait_end_of_query=1`: buffer the whole result so headers carry the final summary. */
  readonly waitEndOfQuery: boolean;
  /** `compress=1`: the response in ClickHouse's compressed blocks (native-blocks.ts). */
  readonly nativeCompressResponse: boolean;
  /** `decompress=1`: the request body is in ClickHouse's compressed blocks. */
  readonly nativeDecompressRequest: boolean;
  /** False with `http_native_compression_disable_checksumming_on_decompress=1`. */
  readonly nativeChecksums: boolean;
  /** `buffer_size`, default 1 MiB: result bytes held before the headers go out, so an early error still gets its status. */
  readonly bufferSize: number;
}

/** Settings that shape the HTTP exchange itself: this layer honours or ignores them, the engine never sees them. */
export const httpOnlySettings: ReadonlySet<string> = new Set([
  'enable_http_compression', 'http_zlib_compression_level', 'send_progress_in_http_headers',
  'http_headers_progress_interval_ms', 'wait_end_of_query', 'http_wait_end_of_query', 'buffer_size',
  'http_response_buffer_size', 'cancel_http_readonly_queries_on_client_close', 'add_http_cors_header',
  'http_native_compression_disable_checksumming_on_decompress', 'quota_key', 'http_write_exception_in_output_format',
  'http_response_headers',
  // clickhouse-go sends it with every HTTP query; the Native format here is the engine's current one.
  'client_protocol_version',
]);

const reserved: ReadonlySet<string> = new Set([
  'query', 'database', 'default_format', 'query_id', 'session_id', 'session_timeout', 'session_check',
  'user', 'password', 'role', 'compress', 'decompress', 'stacktrace',
]);

export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;

const header = (headers: HeaderBag, name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? (v as readonly string[])[0] : (v as string | undefined);
};

const truthy = (v: string | null | undefined): boolean => v !== null && v !== undefined && v !== '0' && v !== '' && v.toLowerCase() !== 'false';

/** Credentials from X-ClickHouse-User/Key, HTTP basic auth, or user/password parameters, in that order. */
export const parseCredentials = (search: URLSearchParams, headers: HeaderBag): Result<Credentials | undefined, ChException> => {
  const hUser = header(headers, 'x-clickhouse-user');
  const basic = header(headers, 'authorization');
  const pUser = search.get('user');
  const ways = [hUser !== undefined, basic !== undefined, pUser !== null].filter(Boolean).length;
  if (ways > 1) {
    return err(ownException('BAD_ARGUMENTS', 'Only one way of authentication can be used: X-ClickHouse-User/Key headers, Authorization header or user/password parameters'));
  }
  if (hUser !== undefined) return ok({ user: hUser, password: header(headers, 'x-clickhouse-key') ?? '' });
  if (basic !== undefined) {
    const m = /^Basic\s+(.+)$/i.exec(basic.trim());
    if (!m?.[1]) return err(ownException('AUTHENTICATION_FAILED', 'Unsupported Authorization scheme: only Basic is accepted'));
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return ok(colon < 0 ? { user: decoded, password: '' } : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) });
  }
  if (pUser !== null) return ok({ user: pUser, password: search.get('password') ?? '' });
  return ok(undefined);
};

export const parseRequest = (search: URLSearchParams, headers: HeaderBag): Result<ParsedRequest, ChException> => {
  const credentials = parseCredentials(search, headers);
  if (!credentials.ok) return credentials;
  if (search.has('role')) {
    return err(ownException('NOT_IMPLEMENTED', 'Roles are not supported by the embedded server; users and their limits come from its users file'));
  }
  const params: Record<string, string> = {};
  const settings: Array<readonly [string, string]> = [];
  let compressResponse = false;
  let waitEndOfQuery = false;
  let bufferSize = 1024 * 1024;
  for (const [key, value] of search) {
    if (key.startsWith('param_')) {
      params[key.slice('param_'.length)] = value;
    } else if (key === 'enable_http_compression') {
      compressResponse = truthy(value);
    } else if (key === 'buffer_size') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0) return err(ownException('BAD_ARGUMENTS', `buffer_size must be a non-negative integer, got '${value}'`));
      bufferSize = n;
    } else if (key === 'wait_end_of_query' || key === 'http_wait_end_of_query') {
      waitEndOfQuery = waitEndOfQuery || truthy(value);
    } else if (!reserved.has(key) && !httpOnlySettings.has(key)) {
      if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(key)) {
        return err(ownException('UNKNOWN_SETTING', `Unknown setting ${key}`));
      }
      settings.push([key, value]);
    }
  }
  const timeoutRaw = search.get('session_timeout');
  let sessionTimeoutSec = 60;
  if (timeoutRaw !== null) {
    const n = Number(timeoutRaw);
    if (!Number.isFinite(n) || n < 0 || n > 3600) {
      return err(ownException('BAD_ARGUMENTS', `Invalid session timeout: '${timeoutRaw}', must be a number of seconds from 0 to 3600`));
    }
    sessionTimeoutSec = n;
  }
  const nonEmpty = (v: string | null): string | undefined => (v === null || v === '' ? undefined : v);
  return ok({
    urlQuery: search.get('query') ?? undefined,
    database: nonEmpty(search.get('database')) ?? nonEmpty(header(headers, 'x-clickhouse-database') ?? null),
    defaultFormat: nonEmpty(search.get('default_format')) ?? nonEmpty(header(headers, 'x-clickhouse-format') ?? null),
    queryId: nonEmpty(search.get('query_id')),
    sessionId: nonEmpty(search.get('session_id')),
    sessionTimeoutSec,
    sessionCheck: truthy(search.get('session_check')),
    credentials: credentials.value,
    params,
    settings,
    compressResponse,
    nativeCompressResponse: truthy(search.get('compress')),
    nativeDecompressRequest: truthy(search.get('decompress')),
    nativeChecksums: !truthy(search.get('http_native_compression_disable_checksumming_on_decompress')),
    waitEndOfQuery,
    bufferSize,
  });
};
