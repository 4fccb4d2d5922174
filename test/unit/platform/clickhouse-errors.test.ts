// Guards the retry-forever loop on failures a retry cannot fix: an unmigrated table or a type
// mismatch must be told apart from ClickHouse being down or slow.
import { describe, expect, it } from 'vitest';
import { classifyClickHouseError, toClickHouseError } from '../../../services/platform/clickhouse-errors.ts';

const serverError = (code: string, message: string): Error => Object.assign(new Error(message), { code, type: 'X' });

describe('ClickHouse failures: retriable or rejected for good', () => {
  it('rejects unknown tables, columns, databases, type mismatches and auth failures for good', () => {
    for (const code of ['60', '16', '81', '53', '516', '164']) expect(classifyClickHouseError(code)).toBe('rejected');
  });

  it('retries when ClickHouse did not answer, is overloaded or times out, and on codes it does not know', () => {
    for (const code of [undefined, '159', '202', '241', '252', '209', '999999']) expect(classifyClickHouseError(code)).toBe('retriable');
  });

  it('wraps them as PlatformErrors with the code and whether a retry helps', () => {
    const gone = toClickHouseError('insert into telemetry', serverError('60', 'Table gridfleet.telemetry does not exist'));
    expect(gone).toMatchObject({ code: 'CLICKHOUSE_REJECTED', canRetry: false });
    expect(gone.message).toMatch(/code 60 UNKNOWN_TABLE/);
    const down = toClickHouseError('insert into telemetry', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    expect(down).toMatchObject({ code: 'CLICKHOUSE_UNAVAILABLE', canRetry: true });
    expect(down.cause).toBeInstanceOf(Error);
  });
});
