/**
 * ClickHouse exceptions as the HTTP interface shows them: the body `Code: N. DB::Exception: msg.
 * (NAME) (version V)` and the status ClickHouse's own server picks for the code. Pure.
 */

export interface ChException {
  readonly code: number;
  /** The upper-case error name, e.g. SYNTAX_ERROR; empty when the engine's text carried none. */
  readonly name: string;
  /** The full text, in ClickHouse's form, without the trailing version. */
  readonly text: string;
}

/** Error names this server raises itself, with ClickHouse's codes. */
export const OwnErrors = {
  UNSUPPORTED_METHOD: 1,
  CANNOT_READ_ALL_DATA: 33,
  CHECKSUM_DOESNT_MATCH: 40,
  BAD_ARGUMENTS: 36,
  NOT_IMPLEMENTED: 48,
  UNKNOWN_FORMAT: 73,
  CANNOT_DECOMPRESS: 271,
  READONLY: 164,
  UNKNOWN_TYPE_OF_QUERY: 78,
  QUERY_IS_TOO_LARGE: 307,
  SESSION_NOT_FOUND: 372,
  SESSION_IS_LOCKED: 373,
  QUERY_WAS_CANCELLED: 394,
  UNKNOWN_COMPRESSION_METHOD: 638,
  AUTHENTICATION_FAILED: 516,
  REQUIRED_PASSWORD: 194,
  UNSUPPORTED_PARAMETER: 2,
  UNKNOWN_SETTING: 115,
  SYNTAX_ERROR: 62,
  UNKNOWN_USER: 192,
  ACCESS_DENIED: 497,
  TOO_MANY_SIMULTANEOUS_QUERIES: 202,
  QUOTA_EXCEEDED: 201,
} as const;
export type OwnErrorName = keyof typeof OwnErrors;

export const ownException = (name: OwnErrorName, message: string): ChException => ({
  code: OwnErrors[name],
  name,
  text: `Code: ${OwnErrors[name]}. DB::Exception: ${message}. (${name})`,
});

const codeRe = /Code: (\d+)\. /;
const nameRe = /\(([A-Z][A-Z0-9_]{2,})\)(?:\s*\(version [^)]*\))?\s*$/;

/** Reads an engine error message; anything without a code becomes a 1001 STD_EXCEPTION. */
export const parseEngineError = (message: string): ChException => {
  const trimmed = message.trim();
  const code = codeRe.exec(trimmed);
  if (!code?.[1]) {
    return { code: 1001, name: 'STD_EXCEPTION', text: `Code: 1001. DB::Exception: ${trimmed}. (STD_EXCEPTION)` };
  }
  const at = trimmed.indexOf(code[0]);
  const text = trimmed.slice(at).replace(/\s*\(version [^)]*\)\s*$/, '');
  return { code: Number(code[1]), name: nameRe.exec(text)?.[1] ?? '', text };
};

/** The body ClickHouse sends for an exception, ending in its version and a newline. */
export const exceptionBody = (e: ChException, version: string): string => `${e.text} (version ${version})\n`;

const forbidden = new Set(['UNKNOWN_USER', 'WRONG_PASSWORD', 'AUTHENTICATION_FAILED', 'SET_NON_GRANTED_ROLE', 'ACCESS_DENIED']);
const badRequest = new Set([
  'BAD_ARGUMENTS', 'CANNOT_COMPILE_REGEXP', 'CANNOT_PARSE_TEXT', 'CANNOT_PARSE_ESCAPE_SEQUENCE',
  'CANNOT_PARSE_QUOTED_STRING', 'CANNOT_PARSE_DATE', 'CANNOT_PARSE_DATETIME', 'CANNOT_PARSE_NUMBER',
  'CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING', 'CANNOT_PARSE_IPV4', 'CANNOT_PARSE_IPV6',
  'CANNOT_PARSE_INPUT_ASSERTION_FAILED', 'CANNOT_PARSE_UUID', 'DUPLICATE_COLUMN', 'ILLEGAL_COLUMN',
  'UNKNOWN_ELEMENT_IN_AST', 'UNKNOWN_TYPE_OF_AST_NODE', 'THERE_IS_NO_COLUMN', 'TOO_DEEP_AST', 'TOO_BIG_AST',
  'UNEXPECTED_AST_STRUCTURE', 'SYNTAX_ERROR', 'INCORRECT_DATA', 'TYPE_MISMATCH', 'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE',
]);
const notFound = new Set([
  'UNKNOWN_TABLE', 'UNKNOWN_FUNCTION', 'UNKNOWN_IDENTIFIER', 'UNKNOWN_TYPE', 'UNKNOWN_STORAGE', 'UNKNOWN_DATABASE',
  'UNKNOWN_SETTING', 'UNKNOWN_DIRECTION_OF_SORTING', 'UNKNOWN_AGGREGATE_FUNCTION', 'UNKNOWN_FORMAT',
  'UNKNOWN_DATABASE_ENGINE', 'UNKNOWN_TYPE_OF_QUERY', 'UNKNOWN_ROLE',
]);

/** The HTTP status ClickHouse's server answers an exception with (its exceptionCodeToHTTPStatus). */
export const httpStatusFor = (e: ChException): number => {
  const name = e.name || nameForCode(e.code);
  if (name === 'REQUIRED_PASSWORD') return 401;
  if (forbidden.has(name)) return 403;
  if (badRequest.has(name)) return 400;
  if (notFound.has(name)) return 404;
  switch (name) {
    case 'QUERY_IS_TOO_LARGE':
      return 413;
    case 'NOT_IMPLEMENTED':
      return 501;
    case 'SOCKET_TIMEOUT':
    case 'CANNOT_OPEN_FILE':
    case 'CANNOT_SCHEDULE_TASK':
      return 503;
    case 'HTTP_LENGTH_REQUIRED':
      return 411;
    case 'TIMEOUT_EXCEEDED':
      return 408;
    case 'UNSUPPORTED_MEDIA_TYPE':
      return 415;
    default:
      return 500;
  }
};

/** Names for the codes that matter when an engine message lost its `(NAME)` suffix. */
const namesByCode: Readonly<Record<number, string>> = {
  36: 'BAD_ARGUMENTS', 46: 'UNKNOWN_FUNCTION', 47: 'UNKNOWN_IDENTIFIER', 48: 'NOT_IMPLEMENTED', 53: 'TYPE_MISMATCH',
  60: 'UNKNOWN_TABLE', 62: 'SYNTAX_ERROR', 73: 'UNKNOWN_FORMAT', 81: 'UNKNOWN_DATABASE', 115: 'UNKNOWN_SETTING',
  159: 'TIMEOUT_EXCEEDED', 194: 'REQUIRED_PASSWORD', 307: 'QUERY_IS_TOO_LARGE', 497: 'ACCESS_DENIED',
  516: 'AUTHENTICATION_FAILED',
};
export const nameForCode = (code: number): string => namesByCode[code] ?? '';
