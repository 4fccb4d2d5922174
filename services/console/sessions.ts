/**
 * Signed-in browsers. The browser sends its control token once, at sign-in; the console keeps it
 * server-side behind a random session id in an HttpOnly, SameSite=Strict cookie (so page scripts
 * never hold it and the live stream, which cannot send headers, is authenticated too), and
 * forwards it to control on every call. Sessions live in memory: a restarted console asks to
 * sign in again. Ids come from the injected random source.
 */
import type { ConsoleRole } from './roles.ts';

export interface Session {
  readonly id: string;
  readonly token: string;
  readonly role: ConsoleRole;
  readonly siteId: string | null;
  readonly createdAtMs: number;
}

export const COOKIE = 'gridfleet_console';
export const SESSION_TTL_MS = 12 * 3600_000;

export const cookieValue = (header: string | undefined, name: string): string | null => {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return null;
};

/** `secure`: served over HTTPS, so the browser never sends the cookie over plain HTTP. */
export const sessionCookie = (id: string, secure = false): string => `${COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_TTL_MS / 1000}${secure ? '; Secure' : ''}`;
export const clearedCookie = (secure = false): string => `${COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0${secure ? '; Secure' : ''}`;

export interface Sessions {
  create(s: Omit<Session, 'id' | 'createdAtMs'>): Session;
  get(cookieHeader: string | undefined): Session | null;
  remove(id: string): void;
}

export const createSessions = (deps: { newId: () => string; now: () => number }): Sessions => {
  const byId = new Map<string, Session>();
  return {
    create(s) {
      const session: Session = { ...s, id: deps.newId(), createdAtMs: deps.now() };
      byId.set(session.id, session);
      return session;
    },
    get(header) {
      const id = cookieValue(header, COOKIE);
      if (id === null) return null;
      const s = byId.get(id);
      if (s === undefined) return null;
      if (deps.now() - s.createdAtMs > SESSION_TTL_MS) {
        byId.delete(id);
        return null;
      }
      return s;
    },
    remove: (id) => void byId.delete(id),
  };
};
