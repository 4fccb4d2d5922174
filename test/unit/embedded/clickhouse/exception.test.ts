import { describe, expect, it } from 'vitest';
import { exceptionBody, httpStatusFor, ownException, parseEngineError } from '../../../../services/embedded/clickhouse/exception.ts';

describe('ClickHouse exceptions', () => {
  it('reads code and name from engine text and drops a trailing version', () => {
    const e = parseEngineError('Code: 60. DB::Exception: Unknown table expression identifier \'x\'. (UNKNOWN_TABLE) (version 26.7.2.1)');
    expect(e.code).toBe(60);
    expect(e.name).toBe('UNKNOWN_TABLE');
    expect(exceptionBody(e, '26.7.2.1')).toBe("Code: 60. DB::Exception: Unknown table expression identifier 'x'. (UNKNOWN_TABLE) (version 26.7.2.1)\n");
  });

  it('wraps text without a code as STD_EXCEPTION 1001', () => {
    const e = parseEngineError('boom');
    expect(e.code).toBe(1001);
    expect(httpStatusFor(e)).toBe(500);
  });

  it('maps codes to the statuses ClickHouse uses', () => {
    const status = (text: string): number => httpStatusFor(parseEngineError(text));
    expect(status('Code: 62. DB::Exception: Syntax error. (SYNTAX_ERROR)')).toBe(400);
    expect(status('Code: 60. DB::Exception: no table. (UNKNOWN_TABLE)')).toBe(404);
    expect(status('Code: 159. DB::Exception: Timeout exceeded. (TIMEOUT_EXCEEDED)')).toBe(408);
    expect(status('Code: 164. DB::Exception: readonly. (READONLY)')).toBe(500);
    expect(status('Code: 62. DB::Exception: no name suffix')).toBe(400);
    expect(httpStatusFor(ownException('AUTHENTICATION_FAILED', 'x: Authentication failed'))).toBe(403);
    expect(httpStatusFor(ownException('REQUIRED_PASSWORD', 'needs a password'))).toBe(401);
    expect(httpStatusFor(ownException('NOT_IMPLEMENTED', 'nope'))).toBe(501);
  });

  it('formats its own exceptions so @clickhouse/client can parse them', () => {
    const e = ownException('AUTHENTICATION_FAILED', 'bob: Authentication failed');
    expect(e.text).toMatch(/^Code: 516\. DB::Exception: bob: Authentication failed\. \(AUTHENTICATION_FAILED\)$/);
  });
});
