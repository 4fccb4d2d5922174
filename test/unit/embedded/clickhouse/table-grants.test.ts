// Per-table grants (issue 19: the forecast jobs ran as `default` and could read and write every
// table). The query trees and ASTs below are the engine's own EXPLAIN output, trimmed.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allows, grantedStatement, insertFormat, insertRefusal, parseGrants, queryTreeRefusal, withoutFormat, type TableGrants } from '../../../../services/embedded/clickhouse/table-grants.ts';
import { parseUsers } from '../../../../services/embedded/clickhouse/users.ts';

const grants = (lines: string[]): TableGrants => {
  const g = parseGrants(lines);
  if (!g.ok) throw new Error(g.error);
  return g.value;
};
const fc = grants(['GRANT SELECT ON gridfleet.site_hourly', 'GRANT SELECT, INSERT ON gridfleet.forecast_runs', 'GRANT SELECT ON scratch.*']);

const tree = (...tables: string[]): string => [
  'QUERY id: 0',
  '  PROJECTION COLUMNS',
  '    c UInt64',
  '  JOIN TREE',
  ...tables.map((t, i) => `    TABLE id: ${i + 3}, alias: __table${i + 1}, table_name: ${t}`),
].join('\n');

describe('parsing grants', () => {
  it('reads GRANT lines as ClickHouse writes them and refuses anything else', () => {
    expect(allows(fc, 'select', 'gridfleet.forecast_runs')).toBe(true);
    expect(allows(fc, 'insert', 'gridfleet.forecast_runs')).toBe(true);
    expect(allows(fc, 'insert', 'gridfleet.site_hourly')).toBe(false);
    expect(allows(fc, 'select', 'scratch.anything')).toBe(true);
    expect(allows(fc, 'select', 'gridfleet.telemetry')).toBe(false);
    expect(parseGrants(['GRANT ALL ON *.*']).ok).toBe(false);
    expect(parseGrants(['GRANT SELECT ON telemetry']).ok).toBe(false);
    expect(parseGrants(['GRANT SELECT ON *.telemetry']).ok).toBe(false);
    expect(parseGrants(['GRANT SELECT ON gridfleet.tele*']).ok).toBe(false);
    expect(parseGrants([42]).ok).toBe(false);
  });

  it('gives the shipped forecast user its features and its own tables, no more', () => {
    const users = parseUsers(JSON.parse(readFileSync('infra/clickhouse/users.json', 'utf8')));
    if (!users.ok) throw new Error(users.error);
    const g = users.value.get('forecast')?.grants;
    expect(g).toBeDefined();
    if (g === undefined) return;
    expect([...g.insert].sort()).toEqual(['gridfleet.forecast_areas', 'gridfleet.forecast_runs']);
    for (const t of ['site_hierarchy', 'site_hourly', 'weather_observations', 'grid_mix', 'forecast_areas']) expect(allows(g, 'select', `gridfleet.${t}`)).toBe(true);
    for (const t of ['telemetry', 'commands', 'acks', 'assets', 'dead_letters', 'customer_choices']) expect(allows(g, 'select', `gridfleet.${t}`)).toBe(false);
    // The other shipped users keep the whole database.
    expect(users.value.get('analyst')?.grants).toBeUndefined();
    expect(parseUsers({ users: { default: {}, x: { grants: 'GRANT SELECT ON a.b' } } }).ok).toBe(false);
  });
});

describe('SELECT against grants', () => {
  it('allows granted tables and the always readable system tables', () => {
    expect(queryTreeRefusal('forecast', fc, tree('gridfleet.site_hourly', 'system.one', 'scratch.t'))).toBeUndefined();
  });

  it('names the first table the grants lack, wherever the tree has it', () => {
    expect(queryTreeRefusal('forecast', fc, tree('gridfleet.site_hourly', 'gridfleet.telemetry'))).toBe(
      "forecast: Not enough privileges. To execute this query, it's necessary to have the grant SELECT ON gridfleet.telemetry",
    );
    // A scalar subquery folded to a constant keeps its tree under EXPRESSION.
    const folded = ['QUERY id: 0', '  PROJECTION', '      CONSTANT id: 2, constant_value: UInt64_0', '        EXPRESSION', '          QUERY id: 3, is_subquery: 1', '            JOIN TREE', '              TABLE id: 6, table_name: gridfleet.commands, final: 1', '  JOIN TREE', '    TABLE id: 7, alias: __table1, table_name: system.one'].join('\n');
    expect(queryTreeRefusal('forecast', fc, folded)).toMatch(/SELECT ON gridfleet\.commands$/);
    expect(queryTreeRefusal('forecast', fc, tree('system.tables'))).toMatch(/system\.tables/);
  });

  it('refuses table functions that read tables and functions that name one by a string', () => {
    const fn = (name: string): string => `QUERY id: 0\n  JOIN TREE\n    TABLE_FUNCTION id: 3, alias: __table1, table_function_name: ${name}`;
    for (const f of ['merge', 'view', 'loop', 'viewIfPermitted', 'cluster']) expect(queryTreeRefusal('forecast', fc, fn(f)), f).toMatch(/table function/);
    expect(queryTreeRefusal('forecast', fc, fn('numbers'))).toBeUndefined();
    const joinGet = `${tree('system.one')}\n    FUNCTION id: 9, function_name: joinGet, function_type: ordinary, result_type: UInt8`;
    expect(queryTreeRefusal('forecast', fc, joinGet)).toMatch(/joinGet\(\) is refused/);
  });

  it('fails closed on output that is not a query tree', () => {
    expect(queryTreeRefusal('forecast', fc, '{"explain":"QUERY id: 0"}')).toMatch(/could not be checked/);
    expect(queryTreeRefusal('forecast', fc, tree('gridfleet.site_hourly').replace('QUERY', 'UNION'))).toBeUndefined();
  });
});

describe('INSERT against grants', () => {
  const ast = (...children: string[]): string => ['InsertQuery   (children 2)', ...children.map((c) => ` ${c}`), ''].join('\n');

  it('allows row inserts into granted tables, qualified or in the current database', () => {
    expect(insertRefusal('forecast', fc, ast('Identifier gridfleet', 'Identifier forecast_runs', 'Set'), 'default', 'JSONEachRow')).toBeUndefined();
    expect(insertRefusal('forecast', fc, ast('Identifier forecast_runs'), 'gridfleet', 'RowBinary')).toBeUndefined();
    expect(insertRefusal('forecast', fc, ast('Identifier forecast_runs'), 'default', 'RowBinary')).toMatch(/INSERT ON default\.forecast_runs$/);
    expect(insertRefusal('forecast', fc, ast('Identifier gridfleet', 'Identifier site_hourly'), 'default', 'JSONEachRow')).toMatch(/INSERT ON gridfleet\.site_hourly$/);
  });

  it('refuses INSERT SELECT, INSERT INTO FUNCTION and VALUES, which could read any table', () => {
    expect(insertRefusal('forecast', fc, ast('Identifier gridfleet', 'Identifier forecast_runs', 'SelectWithUnionQuery (children 1)', '  ExpressionList'), 'default', undefined)).toMatch(/INSERT \.\.\. SELECT/);
    expect(insertRefusal('forecast', fc, ast('Function null (children 1)'), 'default', 'Values')).toMatch(/INTO FUNCTION/);
    expect(insertRefusal('forecast', fc, ast('Identifier gridfleet', 'Identifier forecast_runs'), 'default', 'Values')).toMatch(/VALUES is refused/);
    expect(insertRefusal('forecast', fc, 'SelectWithUnionQuery', 'default', 'JSONEachRow')).toMatch(/could not be checked/);
  });
});

describe('statement text helpers', () => {
  it('finds the kind of statement, the insert format and strips FORMAT for EXPLAIN', () => {
    expect(grantedStatement(' (SELECT 1)')).toBe('select');
    expect(grantedStatement('WITH a AS (SELECT 1) SELECT * FROM a')).toBe('select');
    expect(grantedStatement('insert into t format CSV')).toBe('insert');
    expect(grantedStatement('SET a = 1')).toBe('set');
    for (const q of ['CREATE TABLE t (x UInt8) ENGINE = Memory', 'DROP TABLE gridfleet.telemetry', 'SHOW TABLES', 'DESCRIBE gridfleet.acks', 'EXPLAIN SELECT 1', 'OPTIMIZE TABLE t', 'ALTER TABLE t DELETE WHERE 1']) {
      expect(grantedStatement(q), q).toBeUndefined();
    }
    expect(insertFormat('INSERT INTO t (a, b) SETTINGS x = 1 FORMAT JSONEachRow')).toBe('JSONEachRow');
    expect(insertFormat('INSERT INTO t VALUES')).toBe('Values');
    expect(insertFormat('INSERT INTO t SELECT 1 FORMAT CSV')).toBeUndefined();
    expect(insertFormat("INSERT INTO t (s) FORMAT `CSV`")).toBe('CSV');
    expect(withoutFormat('SELECT (SELECT 1 FORMAT TSV) FROM t FORMAT JSONEachRow SETTINGS a = 1')).toBe('SELECT (SELECT 1 FORMAT TSV) FROM t   SETTINGS a = 1');
    expect(withoutFormat("SELECT 'FORMAT JSON'")).toBe("SELECT 'FORMAT JSON'");
  });
});
