// The by-topic assigner lets the assets run one group member per topic (telemetry, partials), so
// partials are not fetched only after each whole telemetry fetch was applied (issue 18's lag).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignByTopic } from '../../../services/platform/kafka-assigner.ts';

const topics = new Map([['telemetry', [0, 1, 2, 3, 4, 5]], ['rollup', [0, 1, 2, 3, 4, 5]]]);

describe('assignByTopic', () => {
  it('gives each topic to the members asking for it, round robin', () => {
    const plan = assignByTopic([
      { memberId: 'a-site', wants: ['telemetry'] }, { memberId: 'a-parent', wants: ['rollup'] },
      { memberId: 'b-site', wants: ['telemetry'] }, { memberId: 'b-parent', wants: ['rollup'] },
    ], topics);
    expect(plan.get('a-site')).toEqual({ telemetry: [0, 2, 4] });
    expect(plan.get('b-site')).toEqual({ telemetry: [1, 3, 5] });
    expect(plan.get('a-parent')).toEqual({ rollup: [0, 2, 4] });
    expect(plan.get('b-parent')).toEqual({ rollup: [1, 3, 5] });
  });

  it('gives a topic nobody asks for to the members asking for nothing in particular', () => {
    const plan = assignByTopic([{ memberId: 'a-site', wants: ['telemetry'] }, { memberId: 'any-1', wants: [] }, { memberId: 'any-2', wants: [] }], topics);
    expect(plan.get('a-site')).toEqual({ telemetry: [0, 1, 2, 3, 4, 5] });
    expect(plan.get('any-1')).toEqual({ rollup: [0, 2, 4] });
    expect(plan.get('any-2')).toEqual({ rollup: [1, 3, 5] });
  });

  it('leaves a topic unassigned until a member that may take it joins (the second member of a process not yet in)', () => {
    const plan = assignByTopic([{ memberId: 'a-site', wants: ['telemetry'] }], topics);
    expect(plan.get('a-site')).toEqual({ telemetry: [0, 1, 2, 3, 4, 5] });
  });

  it('assigns every partition exactly once, whatever the members ask for', () => {
    fc.assert(
      fc.property(
        fc.array(fc.subarray(['telemetry', 'rollup', 'other']), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 30 }),
        (asks, n) => {
          const parts = Array.from({ length: n }, (_, i) => i);
          const plan = assignByTopic(asks.map((wants, i) => ({ memberId: `m${i}`, wants })), new Map([['telemetry', parts], ['rollup', parts]]));
          for (const t of ['telemetry', 'rollup']) {
            const got = [...plan.values()].flatMap((a) => a[t] ?? []).sort((x, y) => x - y);
            const askers = asks.flatMap((w, i) => (w.includes(t) ? [`m${i}`] : []));
            const open = asks.flatMap((w, i) => (w.length === 0 ? [`m${i}`] : []));
            // Exactly once when someone may take it, else not at all; never to a member that asked for other topics only.
            expect(got).toEqual(askers.length + open.length > 0 ? parts : []);
            const allowed = askers.length > 0 ? askers : open;
            for (const [id, a] of plan) if (!allowed.includes(id)) expect(a[t]).toBeUndefined();
          }
        },
      ),
    );
  });
});
