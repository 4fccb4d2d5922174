/**
 * The effectful half of host-access.ts: asks the engine for its parse of a statement (`EXPLAIN
 * AST`, which never runs it) and refuses what reaches the host. Decisions for statements without
 * parameters are cached, so ingest's repeated insert statements are parsed once.
 */
import type { EngineConnection } from './chdb-engine.ts';
import { ownException, parseEngineError, type ChException } from './exception.ts';
import { astRefusal, deniedTableFunctions, lexicalRefusal } from './host-access.ts';
import { splitInsert } from './sql-inspect.ts';

export interface AccessGuard {
  /** The exception to answer with, or undefined when the statement may run. */
  check(conn: EngineConnection, sql: string, params: Readonly<Record<string, string>>): Promise<ChException | undefined>;
}

const CACHE_ENTRIES = 2_000;
const CACHE_MAX_SQL = 8_192;

/** Reads the engine's table functions once; every one outside the safe list is refused. */
export const createAccessGuard = async (conn: EngineConnection): Promise<AccessGuard> => {
  const r = await conn.exec('SELECT name FROM system.table_functions', 'TabSeparatedRaw');
  const denied = deniedTableFunctions(r.bytes.toString('utf8').split('\n').filter((n) => n !== ''));
  const cache = new Map<string, string | null>();
  const refuse = (why: string): ChException => ownException('ACCESS_DENIED', why);
  return {
    async check(conn, sql, params) {
      // An INSERT's inline data is not SQL: only the statement before it is checked.
      const statement = splitInsert(sql)?.query ?? sql;
      const lexical = lexicalRefusal(statement);
      if (lexical !== undefined) return refuse(lexical);
      const cacheable = Object.keys(params).length === 0 && statement.length <= CACHE_MAX_SQL;
      const known = cacheable ? cache.get(statement) : undefined;
      if (known !== undefined) return known === null ? undefined : refuse(known);
      let ast: string;
      try {
        ast = (await conn.exec(`EXPLAIN AST ${statement}`, 'TabSeparatedRaw', params)).bytes.toString('utf8');
      } catch (e) {
        // A statement the parser rejects would fail the same way when run: answer with that error.
        return parseEngineError(e instanceof Error ? e.message : String(e));
      }
      const why = astRefusal(ast, denied) ?? null;
      if (cacheable) {
        if (cache.size >= CACHE_ENTRIES) cache.clear();
        cache.set(statement, why);
      }
      return why === null ? undefined : refuse(why);
    },
  };
};
