import { describe, expect, it } from 'vitest';
import { astRefusal, deniedTableFunctions, lexicalRefusal } from '../../../../services/embedded/clickhouse/host-access.ts';
import { planSettings } from '../../../../services/embedded/clickhouse/settings-plan.ts';

const denied = deniedTableFunctions(['file', 'url', 's3', 'numbers', 'remote', 'input', 'values', 'executable']);

// Real `EXPLAIN AST` output of chDB 3.4 for the statements named.
const ast = {
  fileTable: `SelectWithUnionQuery (children 1)
 ExpressionList (children 1)
  SelectQuery (children 2)
   ExpressionList (children 1)
    Asterisk
   TablesInSelectQuery (children 1)
    TablesInSelectQueryElement (children 1)
     TableExpression (children 1)
      Function file (alias f) (children 1)
       ExpressionList (children 2)
        Literal \\'/etc/passwd\\'
        Literal \\'LineAsString\\'`,
  pathTable: `SelectWithUnionQuery (children 1)
 ExpressionList (children 1)
  SelectQuery (children 2)
   ExpressionList (children 1)
    Function count (children 1)
     ExpressionList
   TablesInSelectQuery (children 1)
    TablesInSelectQueryElement (children 1)
     TableExpression (children 1)
      TableIdentifier /etc/passwd`,
  fileEngine: `CreateQuery y (children 2)
 Identifier y
 Storage definition (children 1)
  Function File (children 1)
   ExpressionList (children 1)
    Identifier CSV`,
  mergeTree: `CreateQuery t (children 3)
 Identifier t
 Columns definition (children 1)
  ExpressionList (children 1)
   ColumnDeclaration x (children 1)
    DataType Int
 Storage definition (children 2)
  Function ReplacingMergeTree (children 1)
   ExpressionList (children 1)
    Identifier v
  Identifier x`,
  filesystemDb: `CreateQuery fsy  (children 2)
 Identifier fsy
 Storage definition (children 1)
  Function Filesystem (children 1)
   ExpressionList (children 1)
    Literal \\'/etc\\'`,
  dictionary: `CreateQuery d (children 3)
 Identifier d
 Dictionary definition (children 4)
  FunctionWithKeyValueArguments  file (children 1)`,
  numbers: `SelectWithUnionQuery (children 1)
 ExpressionList (children 1)
  SelectQuery (children 2)
   ExpressionList (children 1)
    Function sum (children 1)
     ExpressionList (children 1)
      Identifier number
   TablesInSelectQuery (children 1)
    TablesInSelectQueryElement (children 1)
     TableExpression (children 1)
      Function numbers (children 1)
       ExpressionList (children 1)
        Literal UInt64_10`,
  scalarFile: `SelectWithUnionQuery (children 1)
 ExpressionList (children 1)
  SelectQuery (children 1)
   ExpressionList (children 1)
    Function file (children 1)
     ExpressionList (children 1)
      Literal \\'/etc/hostname\\'`,
};

describe('deniedTableFunctions', () => {
  it('denies every engine table function outside the safe list, case-insensitively', () => {
    expect([...denied].sort()).toEqual(['executable', 'file', 'remote', 's3', 'url']);
  });
});

describe('astRefusal', () => {
  it('refuses table functions, the scalar file(), path-named tables, host engines, host databases and dictionaries', () => {
    expect(astRefusal(ast.fileTable, denied)).toMatch(/^file\(\) is refused/);
    expect(astRefusal(ast.scalarFile, denied)).toMatch(/^file\(\) is refused/);
    expect(astRefusal(ast.pathTable, denied)).toMatch(/table \/etc\/passwd is refused/);
    expect(astRefusal(ast.fileEngine, denied)).toMatch(/ENGINE = File is refused/);
    expect(astRefusal(ast.filesystemDb, denied)).toMatch(/ENGINE = Filesystem is refused/);
    expect(astRefusal(ast.dictionary, denied)).toMatch(/dictionaries are refused/);
  });
  it('lets the engine-only statements through', () => {
    expect(astRefusal(ast.mergeTree, denied)).toBeUndefined();
    expect(astRefusal(ast.numbers, denied)).toBeUndefined();
  });
});

describe('lexicalRefusal', () => {
  it('refuses what the AST does not name', () => {
    expect(lexicalRefusal("SELECT 1 INTO OUTFILE '/tmp/x'")).toMatch(/INTO OUTFILE/);
    expect(lexicalRefusal("INSERT INTO t FROM INFILE '/etc/passwd' FORMAT LineAsString")).toMatch(/FROM INFILE/);
    expect(lexicalRefusal('SELECT 1; SELECT 2')).toMatch(/multi-statements/);
    expect(lexicalRefusal("BACKUP TABLE t TO Disk('d', 'x')")).toMatch(/^BACKUP is refused/);
    expect(lexicalRefusal("ATTACH TABLE x FROM '/tmp/y' (a Int) ENGINE = MergeTree ORDER BY a")).toMatch(/^ATTACH is refused/);
    expect(lexicalRefusal('SYSTEM SHUTDOWN')).toMatch(/SYSTEM SHUTDOWN is refused/);
  });
  it('does not mistake strings, comments or a trailing semicolon for those clauses', () => {
    expect(lexicalRefusal("SELECT 'INTO OUTFILE; SELECT 2' -- FROM INFILE\n;")).toBeUndefined();
    expect(lexicalRefusal('SELECT 1;;  ')).toBeUndefined();
    expect(lexicalRefusal('SYSTEM FLUSH LOGS')).toBeUndefined();
    expect(lexicalRefusal('/* BACKUP */ SELECT outfile FROM infile')).toBeUndefined();
  });

  // The Template format reads its row and resultset templates from host paths, and its error
  // quotes the file: `SETTINGS format_template_row = '/etc/passwd'` answered with the file.
  it('refuses settings whose value is a host path or URL, in the SQL and as request parameters', () => {
    for (const q of [
      "SELECT 1 SETTINGS format_template_row = '/etc/passwd' FORMAT Template",
      "SET `format_template_resultset` = '/etc/hostname'",
      "SELECT 1 SETTINGS output_format_schema = '/tmp/x.proto' FORMAT Protobuf",
      "INSERT INTO t SETTINGS input_format_record_errors_file_path = '/tmp/e' FORMAT CSV",
      "SELECT 1 SETTINGS format_avro_schema_registry_url = 'http://127.0.0.1:1'",
    ]) expect(lexicalRefusal(q), q).toMatch(/names a file or URL on the server's host/);
    expect(lexicalRefusal("SELECT 'format_template_row' SETTINGS format_template_row_format = '${data}'")).toBeUndefined();
    const user = { name: 'default', readonly: 0 as const, settings: [], passwordSha256: Buffer.alloc(32) };
    const r = planSettings({ user, requestSettings: [['format_schema', '/etc/passwd']], method: 'POST', inSession: false });
    expect(!r.ok && r.error.code).toBe(497);
    expect(planSettings({ user, requestSettings: [['max_threads', '2']], method: 'POST', inSession: false }).ok).toBe(true);
  });
});
