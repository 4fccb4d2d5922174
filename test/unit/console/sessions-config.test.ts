import { describe, expect, it } from 'vitest';
import { parseConsoleConfig } from '../../../services/console/config.ts';
import { cookieValue, COOKIE, createSessions, SESSION_TTL_MS, sessionCookie } from '../../../services/console/sessions.ts';

describe('sessions', () => {
  it('finds its cookie among others and expires sessions', () => {
    let now = 0;
    let n = 0;
    const s = createSessions({ newId: () => `id-${++n}`, now: () => now });
    const a = s.create({ token: 'tok-operator', role: 'operator', siteId: null });
    expect(cookieValue(`other=1; ${COOKIE}=${a.id}; x=y`, COOKIE)).toBe('id-1');
    expect(s.get(`${COOKIE}=${a.id}`)?.token).toBe('tok-operator');
    expect(s.get(`${COOKIE}=nope`)).toBeNull();
    expect(s.get(undefined)).toBeNull();
    expect(sessionCookie('abc')).toMatch(/HttpOnly; SameSite=Strict/);
    now = SESSION_TTL_MS + 1;
    expect(s.get(`${COOKIE}=${a.id}`)).toBeNull();
  });
});

describe('console config', () => {
  it('defaults', () => {
    const c = parseConsoleConfig({});
    expect(c).toMatchObject({ port: 8093, controlUrl: 'http://127.0.0.1:8091', assetsUrl: 'http://127.0.0.1:8092', gatewayUrl: 'http://127.0.0.1:8090', fleetId: 'fleet', pollMs: 2000, clickhouseUser: 'analyst' });
  });

  it('lists every problem at once', () => {
    let message = '';
    try {
      parseConsoleConfig({ CONSOLE_PORT: 'x', CONSOLE_CONTROL_URL: 'ftp://a', CONSOLE_FLEET_ID: 'a b', CONSOLE_POLL_MS: '5' });
    } catch (e) {
      message = e instanceof Error ? e.message : String(e);
    }
    for (const problem of ['CONSOLE_PORT=x must be', 'CONSOLE_CONTROL_URL=ftp://a must be http or https', 'CONSOLE_FLEET_ID=a b must be an asset id', 'CONSOLE_POLL_MS=5 must be']) expect(message).toContain(problem);
  });
});
