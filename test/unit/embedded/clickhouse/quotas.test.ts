// Issue 19: there were no quotas per user over time. A user's quota intervals count its queries
// and result rows and refuse the query once a limit is used up, with ClickHouse's QUOTA_EXCEEDED.
import { describe, expect, it } from 'vitest';
import { createQuotas, parseQuota, type QuotaInterval } from '../../../../services/embedded/clickhouse/quotas.ts';

const interval = (durationSec: number, max: QuotaInterval['max']): QuotaInterval => ({ durationSec, max });
const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);

describe('parsing quotas', () => {
  it('accepts intervals with positive limits and refuses anything else', () => {
    expect(parseQuota([{ duration: 60, queries: 3, result_rows: 10 }])).toEqual({ ok: true, value: [interval(60, { queries: 3, result_rows: 10 })] });
    expect(parseQuota({ duration: 60 }).ok).toBe(false);
    expect(parseQuota([{ queries: 3 }]).ok).toBe(false);
    expect(parseQuota([{ duration: 60, queries: 0 }]).ok).toBe(false);
    expect(parseQuota([{ duration: 60, execution_time: 5 }]).ok).toBe(false);
  });
});

describe('counting against quotas', () => {
  it('refuses the query over the limit with 201 and the counter, and starts afresh with the next interval', () => {
    const quotas = createQuotas();
    const user = { name: 'analyst', quota: [interval(60, { queries: 2 })] };
    expect(quotas.admit(user, T0).ok).toBe(true);
    expect(quotas.admit(user, T0 + 1000).ok).toBe(true);
    const third = quotas.admit(user, T0 + 2000);
    expect(third.ok).toBe(false);
    if (third.ok) return;
    expect(third.exception.code).toBe(201);
    expect(third.exception.text).toBe("Code: 201. DB::Exception: Quota for user 'analyst' for 1m has been exceeded: queries = 3/2. Interval will end at 2026-01-01 10:01:00. (QUOTA_EXCEEDED)");
    // Other users are not affected.
    expect(quotas.admit({ name: 'other', quota: [interval(60, { queries: 2 })] }, T0 + 2000).ok).toBe(true);
    expect(quotas.admit(user, T0 + 60_000).ok).toBe(true);
  });

  it('refuses once the result rows of earlier queries used the limit up', () => {
    const quotas = createQuotas();
    const user = { name: 'a', quota: [interval(3600, { result_rows: 100 })] };
    const first = quotas.admit(user, T0);
    if (!first.ok) throw new Error('refused');
    first.record({ resultRows: 60 });
    const second = quotas.admit(user, T0 + 1);
    if (!second.ok) throw new Error('refused');
    second.record({ resultRows: 60 });
    const third = quotas.admit(user, T0 + 2);
    expect(!third.ok && third.exception.text).toMatch(/for 1h has been exceeded: result_rows = 120\/100/);
  });

  it('applies every interval of a quota, and a user without one is never refused', () => {
    const quotas = createQuotas();
    const user = { name: 'b', quota: [interval(3600, { queries: 100 }), interval(1, { queries: 1 })] };
    expect(quotas.admit(user, T0).ok).toBe(true);
    expect(quotas.admit(user, T0 + 10).ok).toBe(false);
    expect(quotas.admit(user, T0 + 1000).ok).toBe(true);
    for (let i = 0; i < 1000; i++) expect(quotas.admit({ name: 'c' }, T0).ok).toBe(true);
  });
});
