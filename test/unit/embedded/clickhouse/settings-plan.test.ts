import { describe, expect, it } from 'vitest';
import { CANCEL_TAG_SETTING, tagForCancel } from '../../../../services/embedded/clickhouse/settings-plan.ts';

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
