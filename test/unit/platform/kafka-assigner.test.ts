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

  it('gives a topic nobody asks for to every member, so nothing is left unread', () => {
    const plan = assignByTopic([{ memberId: 'a-site', wants: ['telemetry'] }, { memberId: 'old', wants: [] }], topics);
    expect(plan.get('a-site')).toEqual({ telemetry: [0, 1, 2, 3, 4, 5], rollup: [0, 2, 4] });
    expect(plan.get('old')).toEqual({ rollup: [1, 3, 5] });
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
            expect(got).toEqual(parts);
            const askers = asks.flatMap((w, i) => (w.includes(t) ? [`m${i}`] : []));
            // Only askers hold it when there are any.
            if (askers.length > 0) for (const [id, a] of plan) if (!askers.includes(id)) expect(a[t]).toBeUndefined();
          }
        },
      ),
    );
  });
});
