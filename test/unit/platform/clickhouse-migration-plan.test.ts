import { describe, expect, it } from 'vitest';
import { checksumOf, pendingMigrations, splitStatements } from '../../../services/platform/clickhouse-migration-plan.ts';

describe('migration plan', () => {
  const files = [{ name: '002-b.sql', sql: 'B' }, { name: '001-a.sql', sql: 'A' }];

  it('applies what is not yet applied, in name order', () => {
    expect(pendingMigrations(files, [])).toEqual({ ok: true, value: [files[1], files[0]] });
    expect(pendingMigrations(files, [{ name: '001-a.sql', checksum: checksumOf('A') }])).toEqual({ ok: true, value: [files[0]] });
  });

  it('refuses an applied migration that changed or vanished', () => {
    expect(pendingMigrations(files, [{ name: '001-a.sql', checksum: checksumOf('changed') }]).ok).toBe(false);
    expect(pendingMigrations(files, [{ name: '000-gone.sql', checksum: 'x' }]).ok).toBe(false);
  });

  it('splits statements outside strings and comments', () => {
    expect(splitStatements("CREATE DATABASE x; -- a; comment\nINSERT INTO t VALUES ('a;b');\n")).toEqual([
      'CREATE DATABASE x',
      "INSERT INTO t VALUES ('a;b')",
    ]);
  });
});
