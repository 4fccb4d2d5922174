import { describe, expect, it } from 'vitest';
import { parseIngestConfig } from '../../../../services/analytics/ingest/config.ts';
import { allTopics } from '../../../../services/platform/schemas.ts';
import { formatTable } from '../../../../services/platform/format-table.ts';
import { reconcile } from '../../../../services/analytics/ingest/reconcile.ts';
import { renameDatabase } from '../../../../services/analytics/ingest/analytics-schema.ts';

describe('ingest config', () => {
  it('has documented defaults and lists every problem at once', () => {
    const c = parseIngestConfig({});
    expect(c).toMatchObject({ groupId: 'gridfleet-ingest', database: 'gridfleet', batchRecords: 20_000, maxWaitMs: 1_000, fault: null, recordPlans: true, rejectedRetryMs: 60_000, lagRefreshMs: 5_000 });
    // Ingest stores every topic of the catalog by default (provider.forecasts.v1 included).
    expect([...c.topics].sort()).toEqual([...allTopics()].sort());
    expect(parseIngestConfig({ INGEST_FAULT: 'mid-insert:3', INGEST_TOPICS: 'telemetry.v1' })).toMatchObject({ fault: { point: 'mid-insert', atInsert: 3 }, topics: ['telemetry.v1'] });
    expect(() => parseIngestConfig({ INGEST_FAULT: 'sometime', INGEST_BATCH_RECORDS: '0', INGEST_DATABASE: 'a-b', INGEST_TOPICS: 'nope' })).toThrow(
      /INGEST_TOPICS[\s\S]*INGEST_FAULT[\s\S]*INGEST_DATABASE|INGEST_DATABASE[\s\S]*INGEST_TOPICS/,
    );
  });
});

describe('reconciliation (pure)', () => {
  it('passes on equal counts and names what differs, including duplicates', () => {
    const expected = new Map([[0, 10], [1, 5]]);
    expect(reconcile(expected, { rowsByPartition: new Map([[0, 10], [1, 5]]), duplicateKeys: 0 })).toEqual([]);
    expect(reconcile(expected, { rowsByPartition: new Map([[0, 11], [1, 4]]), duplicateKeys: 1 })).toEqual([
      'partition 0: 11 rows, expected 10 (duplicates)', 'partition 1: 4 rows, expected 5 (missing)', '1 identities appear more than once',
    ]);
    expect(reconcile(expected, { rowsByPartition: new Map([[0, 10], [1, 5], [2, 1]]), duplicateKeys: 0 })).toHaveLength(1);
  });
});

describe('small helpers', () => {
  it('formats a table and renames the database in migrations', () => {
    expect(formatTable(['a', 'name'], [[1, 'x'], [22, null]])).toBe(' a | name\n---+-----\n 1 | x\n22 | NULL\n(2 rows)');
    expect(renameDatabase('CREATE TABLE gridfleet.t AS SELECT * FROM gridfleet.u; -- notgridfleet.x', 'db1')).toBe('CREATE TABLE db1.t AS SELECT * FROM db1.u; -- notgridfleet.x');
  });
});
