/**
 * The effectful half of table-grants.ts: for a user with table grants, asks the engine for its
 * analysis of the statement (`EXPLAIN QUERY TREE` for a SELECT, `EXPLAIN AST` for an INSERT, on
 * the request's own connection, so its current database and parameters count) and refuses with
 * ACCESS_DENIED (497) naming the table the grants lack. Runs after host-access.ts's check, before
 * the engine runs anything. A user without grants costs nothing here.
 */
import type { EngineConnection } from './chdb-engine.ts';
import { ownException, parseEngineError, type ChException } from './exception.ts';
import { grantedStatement, insertFormat, insertRefusal, queryTreeRefusal, statementRefusal, withoutFormat } from './table-grants.ts';
import { splitInsert } from './sql-inspect.ts';
import type { User } from './users.ts';

const explain = async (conn: EngineConnection, what: string, sql: string, params: Readonly<Record<string, string>>): Promise<string | ChException> => {
  try {
    return (await conn.exec(`EXPLAIN ${what} ${sql}`, 'TabSeparatedRaw', params)).bytes.toString('utf8');
  } catch (e) {
    // What the analyzer rejects fails the same way when run (or cannot be checked): answer with it.
    return parseEngineError(e instanceof Error ? e.message : String(e));
  }
};

/** The exception to answer with, or undefined when the user's grants allow the statement. `statement`: for an insert, its part before the data. */
export const checkGrants = async (conn: EngineConnection, user: User, statement: string, params: Readonly<Record<string, string>>): Promise<ChException | undefined> => {
  const grants = user.grants;
  if (grants === undefined) return undefined;
  const refuse = (why: string): ChException => ownException('ACCESS_DENIED', why);
  const kind = grantedStatement(statement);
  if (kind === 'set' || kind === 'use') return undefined;
  if (kind === 'select') {
    const tree = await explain(conn, 'QUERY TREE', withoutFormat(statement), params);
    if (typeof tree !== 'string') return tree;
    const why = queryTreeRefusal(user.name, grants, tree);
    return why === undefined ? undefined : refuse(why);
  }
  if (kind === 'insert') {
    // Inline data after FORMAT is not SQL: only the statement before it is explained.
    const head = splitInsert(statement)?.query ?? statement;
    const ast = await explain(conn, 'AST', head, params);
    if (typeof ast !== 'string') return ast;
    const database = (await conn.exec('SELECT currentDatabase()', 'TabSeparatedRaw')).bytes.toString('utf8').trim();
    const why = insertRefusal(user.name, grants, ast, database, insertFormat(head));
    return why === undefined ? undefined : refuse(why);
  }
  return refuse(statementRefusal(user.name));
};
