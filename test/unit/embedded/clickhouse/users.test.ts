import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { planSettings, setStatement } from '../../../../services/embedded/clickhouse/settings-plan.ts';
import { authenticate, parseUsers, type Users } from '../../../../services/embedded/clickhouse/users.ts';

const shipped = (): Users => {
  const r = parseUsers(JSON.parse(readFileSync('infra/clickhouse/users.json', 'utf8')));
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

describe('users and their settings', () => {
  it('authenticates the shipped users and refuses wrong passwords with 516', () => {
    const users = shipped();
    expect(authenticate(users, undefined)).toMatchObject({ ok: true, value: { name: 'default' } });
    expect(authenticate(users, { user: 'analyst', password: 'analyst' })).toMatchObject({ ok: true, value: { readonly: 1 } });
    const bad = authenticate(users, { user: 'analyst', password: 'nope' });
    expect(!bad.ok && bad.error.code).toBe(516);
    const unknown = authenticate(users, { user: 'mallory', password: '' });
    expect(!unknown.ok && unknown.error.code).toBe(516);
  });

  it('rejects a users file without default or with bad fields', () => {
    expect(parseUsers({ users: { x: {} } }).ok).toBe(false);
    expect(parseUsers({ users: { default: { readonly: 2 } } }).ok).toBe(false);
    expect(parseUsers({ users: { default: { passwordSha256Hex: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' } } }).ok).toBe(true);
  });

  it('pins readonly last and refuses settings from a readonly user', () => {
    const users = shipped();
    const analyst = users.get('analyst');
    const def = users.get('default');
    if (!analyst || !def) throw new Error('shipped users missing');
    const plan = planSettings({ user: analyst, requestSettings: [], method: 'POST', inSession: false });
    expect(plan.ok && plan.value.at(-1)).toEqual(['readonly', '1']);
    expect(plan.ok && plan.value.map(([k]) => k)).toContain('max_execution_time');
    const raise = planSettings({ user: analyst, requestSettings: [['max_execution_time', '999']], method: 'POST', inSession: false });
    expect(!raise.ok && raise.error.code).toBe(164);
    const get = planSettings({ user: def, requestSettings: [['max_threads', '2']], method: 'GET', inSession: false });
    expect(get.ok && get.value).toEqual([['max_threads', '2'], ['readonly', '2']]);
    expect(setStatement([['a', '1'], ['b', "it's"]])).toBe("SET a = 1, b = 'it\\'s'");
    expect(setStatement([])).toBeUndefined();
  });
});
