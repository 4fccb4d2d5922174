import { describe, expect, it } from 'vitest';
import { CANCEL_TAG_SETTING, isUserWideSetting, planSettings, tagForCancel } from '../../../../services/embedded/clickhouse/settings-plan.ts';

describe('tagging a streamed SELECT so a disconnect can kill it', () => {
  it('puts the tag first, so readonly stays last and the plan keeps its order', () => {
    const r = tagForCancel([['max_threads', '2'], ['readonly', '1']], { inSession: false, tag: 't1' });
    expect(r).toEqual({ plan: [[CANCEL_TAG_SETTING, 't1'], ['max_threads', '2'], ['readonly', '1']], tag: 't1' });
  });

  it('leaves HTTP sessions and a plan that sets the tag setting itself untagged', () => {
    const plan = [['readonly', '1']] as const;
    expect(tagForCancel(plan, { inSession: true, tag: 't2' })).toEqual({ plan, tag: undefined });
    const own = [[CANCEL_TAG_SETTING, 'mine']] as const;
    expect(tagForCancel(own, { inSession: false, tag: 't3' })).toEqual({ plan: own, tag: undefined });
  });
});

describe('settings that limit a whole user', () => {
  it('never reach the engine, from the users file or the request (one engine user serves every user)', () => {
    const user = { name: 'analyst', readonly: 0 as const, settings: [['max_concurrent_queries_for_user', '8'], ['max_execution_time', '60']] as const, passwordSha256: Buffer.alloc(32) };
    const r = planSettings({ user, requestSettings: [['max_memory_usage_for_user', '1'], ['max_threads', '2']], method: 'POST', inSession: false });
    expect(r.ok && r.value).toEqual([['max_execution_time', '60'], ['max_threads', '2']]);
    expect(isUserWideSetting('max_concurrent_queries_for_all_users')).toBe(true);
    expect(isUserWideSetting('max_concurrent_queries')).toBe(false);
  });
});
