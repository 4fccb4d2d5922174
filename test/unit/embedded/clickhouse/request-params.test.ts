import { describe, expect, it } from 'vitest';
import { parseRequest } from '../../../../services/embedded/clickhouse/request-params.ts';

const parse = (qs: string, headers: Record<string, string> = {}) => parseRequest(new URLSearchParams(qs), headers);

describe('ClickHouse HTTP request parameters', () => {
  it('sorts HTTP parameters, query parameters and engine settings', () => {
    const r = parse('query=SELECT+1&database=db&default_format=JSON&query_id=q1&session_id=s&session_timeout=5&param_x=1&max_threads=2&enable_http_compression=1&wait_end_of_query=1');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({ urlQuery: 'SELECT 1', database: 'db', defaultFormat: 'JSON', queryId: 'q1', sessionId: 's', sessionTimeoutSec: 5, compressResponse: true, waitEndOfQuery: true });
    expect(r.value.params).toEqual({ x: '1' });
    expect(r.value.settings).toEqual([['max_threads', '2']]);
  });

  it('takes credentials from headers, basic auth or parameters, but only one of them', () => {
    const h = parse('', { 'x-clickhouse-user': 'ingest', 'x-clickhouse-key': 'pw' });
    expect(h.ok && h.value.credentials).toEqual({ user: 'ingest', password: 'pw' });
    const b = parse('', { authorization: `Basic ${Buffer.from('analyst:a:b').toString('base64')}` });
    expect(b.ok && b.value.credentials).toEqual({ user: 'analyst', password: 'a:b' });
    const p = parse('user=u&password=p');
    expect(p.ok && p.value.credentials).toEqual({ user: 'u', password: 'p' });
    const both = parse('user=u', { 'x-clickhouse-user': 'v' });
    expect(both.ok).toBe(false);
    const none = parse('');
    expect(none.ok && none.value.credentials === undefined).toBe(true);
  });

  it("reads ClickHouse's compressed-block parameters and consumes client_protocol_version", () => {
    const p = parse('compress=1&decompress=1&http_native_compression_disable_checksumming_on_decompress=1&client_protocol_version=54460');
    expect(p.ok && [p.value.nativeCompressResponse, p.value.nativeDecompressRequest, p.value.nativeChecksums, p.value.settings.length]).toEqual([true, true, false, 0]);
    const none = parse('');
    expect(none.ok && [none.value.nativeCompressResponse, none.value.nativeDecompressRequest, none.value.nativeChecksums]).toEqual([false, false, true]);
  });

  it('refuses what the embedded server does not do, with ClickHouse errors', () => {
    const role = parse('role=admin');
    expect(!role.ok && role.error.code).toBe(48);
    const timeout = parse('session_timeout=-1');
    expect(!timeout.ok && timeout.error.code).toBe(36);
    const badSetting = parse('bad%20name=1');
    expect(!badSetting.ok && badSetting.error.code).toBe(115);
  });
});
