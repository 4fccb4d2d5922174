import { describe, expect, it } from 'vitest';
import { existingRowsQuery, parseExisting, planDedup, rememberSeqs, rowsToDrop, withoutRows, type RowIdentity } from '../../../../services/analytics/ingest/telemetry-dedup.ts';

const row = (deviceId: string, seq: number, start: number): RowIdentity => ({ siteId: `s-${deviceId}`, deviceId, seq, measuredAtMs: 1_000 * seq, start, end: start + 2 });

describe('telemetry dedup', () => {
  const rows = [row('a', 5, 0), row('b', 1, 2), row('a', 6, 4), row('a', 5, 6), row('b', 0, 8)];

  it('drops second copies inside the batch and looks up what is not provably newer', () => {
    const plan = planDedup(rows, new Map([['a', 5], ['b', 3]]));
    expect([...plan.inBatch]).toEqual([3]);
    // a#5 is not above a's known 5; b#1 and b#0 are below b's 3; a#6 is newer than anything of a.
    expect(plan.lookup).toEqual([0, 1, 4]);
  });

  it('looks up every row of a device nothing is known of', () => {
    expect(planDedup(rows, new Map()).lookup).toEqual([0, 1, 2, 4]);
  });

  it('cuts the dropped rows out of the RowBinary bytes and keeps the rest in order', () => {
    const bytes = Buffer.from('A5B1A6a5B0');
    const plan = planDedup(rows, new Map([['a', 5], ['b', 3]]));
    const drop = rowsToDrop(rows, plan, parseExisting('["b",0]\n["zz",9]\n'));
    expect([...drop].sort()).toEqual([3, 4]);
    expect(withoutRows(bytes, rows, drop).toString()).toBe('A5B1A6');
    expect(withoutRows(bytes, rows, new Set())).toBe(bytes);
  });

  it('remembers the highest seq per device', () => {
    const known = new Map([['a', 7]]);
    rememberSeqs(known, rows);
    expect(Object.fromEntries(known)).toEqual({ a: 7, b: 1 });
  });

  it('queries by the primary key prefix and quotes what devices send', () => {
    const q = existingRowsQuery('telemetry', [row("o'neil\\", 2, 0)]);
    expect(q).toContain("(site_id, device_id) IN (('s-o\\'neil\\\\', 'o\\'neil\\\\'))");
    expect(q).toContain("(device_id, seq) IN (('o\\'neil\\\\', 2))");
    expect(q).toContain('FORMAT JSONCompactEachRow');
  });
});
