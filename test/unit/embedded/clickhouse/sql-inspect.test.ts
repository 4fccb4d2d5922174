import { describe, expect, it } from 'vitest';
import { infileInsert, isBlank, namedFormat, splitInsert, statementKind } from '../../../../services/embedded/clickhouse/sql-inspect.ts';

describe('SQL inspection', () => {
  it('classifies statements', () => {
    expect(statementKind('  -- c\n SELECT 1')).toBe('select');
    expect(statementKind('(SELECT 1)')).toBe('select');
    expect(statementKind('WITH 1 AS x SELECT x')).toBe('select');
    expect(statementKind('insert into t values (1)')).toBe('insert');
    expect(statementKind('SHOW TABLES')).toBe('other');
  });

  it('finds the top-level FORMAT clause only', () => {
    expect(namedFormat('SELECT 1 FORMAT JSONEachRow')).toBe('JSONEachRow');
    expect(namedFormat("SELECT 'FORMAT CSV' AS s")).toBeUndefined();
    expect(namedFormat('SELECT * FROM (SELECT 1 FORMAT CSV) FORMAT JSON')).toBe('JSON');
    expect(isBlank(' ; -- nothing\n')).toBe(true);
  });

  it('splits an INSERT from its inline data after one line break', () => {
    const text = 'INSERT INTO t (a, b) FORMAT CSV\n1,2\n';
    const s = splitInsert(text);
    expect(s).toEqual({ query: 'INSERT INTO t (a, b) FORMAT CSV', dataOffset: 32, format: 'CSV' });
    expect(text.slice(s?.dataOffset)).toBe('1,2\n');
    expect(splitInsert('INSERT INTO t VALUES (1)')).toBeUndefined();
    expect(splitInsert('INSERT INTO t SELECT 1 FORMAT CSV')).toBeUndefined();
  });

  it('rewrites inserts to read their data from a file', () => {
    expect(infileInsert('INSERT INTO t FORMAT RowBinary', '/s/x')).toBe("INSERT INTO t FROM INFILE '/s/x' FORMAT RowBinary");
    expect(infileInsert('INSERT INTO t (a) SETTINGS x=1 FORMAT CSV', '/s/x')).toBe("INSERT INTO t (a) FROM INFILE '/s/x' SETTINGS x=1 FORMAT CSV");
    expect(infileInsert('INSERT INTO t VALUES', '/s/x')).toBe("INSERT INTO t FROM INFILE '/s/x' FORMAT Values");
    expect(infileInsert("INSERT INTO t FORMAT CSV", "/s/it's")).toBe("INSERT INTO t FROM INFILE '/s/it\\'s' FORMAT CSV");
    expect(infileInsert('INSERT INTO t SELECT 1', '/s/x')).toBeUndefined();
    const opts = { compression: 'gzip', settings: 'a=1' };
    expect(infileInsert('INSERT INTO t FORMAT RowBinary', '/p', opts)).toBe("INSERT INTO t FROM INFILE '/p' COMPRESSION 'gzip' SETTINGS a=1 FORMAT RowBinary");
    // The server's own settings come last, so a query's own cannot undo them.
    expect(infileInsert('INSERT INTO t SETTINGS a=2, b=3 FORMAT CSV', '/p', opts)).toBe("INSERT INTO t FROM INFILE '/p' COMPRESSION 'gzip' SETTINGS a=2, b=3, a=1 FORMAT CSV");
    expect(infileInsert('INSERT INTO t VALUES', '/p', opts)).toBe("INSERT INTO t FROM INFILE '/p' COMPRESSION 'gzip' SETTINGS a=1 FORMAT Values");
    expect(infileInsert('INSERT INTO t', '/p', opts)).toBe("INSERT INTO t FROM INFILE '/p' COMPRESSION 'gzip' SETTINGS a=1");
  });
});
