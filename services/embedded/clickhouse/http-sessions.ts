/**
 * ClickHouse HTTP sessions (`session_id`): each owns one engine connection, so temporary tables,
 * SET and USE persist across its requests. A session serves one request at a time and closes
 * after `session_timeout` idle seconds.
 */
import { err, ok, type Result } from '../../platform/result.ts';
import type { EngineConnection } from './chdb-engine.ts';
import { ownException, type ChException } from './exception.ts';

interface Entry {
  readonly conn: EngineConnection;
  readonly user: string;
  busy: boolean;
  timer: NodeJS.Timeout | undefined;
}

export interface Lease {
  readonly conn: EngineConnection;
  /** Ends this request's use; the session then lives `timeoutSec` more seconds. */
  release(timeoutSec: number): void;
}

export interface HttpSessions {
  acquire(id: string, user: string, check: boolean): Result<Lease, ChException>;
  closeAll(): Promise<void>;
  readonly size: number;
}

export const createHttpSessions = (connect: () => EngineConnection): HttpSessions => {
  const entries = new Map<string, Entry>();
  const drop = (id: string): void => {
    const e = entries.get(id);
    if (!e) return;
    entries.delete(id);
    if (e.timer) clearTimeout(e.timer);
    void e.conn.close();
  };
  return {
    get size() {
      return entries.size;
    },
    acquire: (id, user, check) => {
      let e = entries.get(id);
      if (e && e.user !== user) return err(ownException('SESSION_NOT_FOUND', `Session ${id} not found`));
      if (e?.busy) return err(ownException('SESSION_IS_LOCKED', `Session ${id} is locked by a concurrent client`));
      if (!e) {
        if (check) return err(ownException('SESSION_NOT_FOUND', `Session ${id} not found`));
        e = { conn: connect(), user, busy: false, timer: undefined };
        entries.set(id, e);
      }
      if (e.timer) clearTimeout(e.timer);
      e.timer = undefined;
      e.busy = true;
      const entry = e;
      return ok({
        conn: entry.conn,
        release: (timeoutSec: number) => {
          entry.busy = false;
          entry.timer = setTimeout(() => drop(id), Math.max(0, timeoutSec) * 1000);
          entry.timer.unref();
        },
      });
    },
    closeAll: async () => {
      const conns = [...entries.values()].map((e) => e.conn);
      for (const id of [...entries.keys()]) drop(id);
      await Promise.allSettled(conns.map((c) => c.close()));
    },
  };
};
