/**
 * The leadership member holds grid.events.v1 partition 0 and passes its records over. It must
 * move past them: a batch it left unresolved was fetched again at once, about 1,000 times a
 * second after the first grid event (found by strace in the 10k control bench).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../../services/platform/logger.ts';
import { openTopicWriter } from '../../../../services/platform/topic-writer.ts';
import { TopicNames } from '../../../../services/platform/topics.ts';
import { joinLeadership } from '../../../../services/operational/control/leadership.ts';
import { freshName } from '../../../support/stack-env.ts';
import { codec, kafka, until } from './control-fixture.ts';

describe('control leadership member', () => {
  it('is handed each grid event once, not again and again', async () => {
    const seen = new Set<string>();
    let again = 0;
    const lead = await joinLeadership({ kafka, logger: createLogger('warn', { service: 'test' }), groupId: freshName('leader-fetch'), onBatch: (offsets) => {
      for (const o of offsets) {
        if (seen.has(o)) again++;
        seen.add(o);
      }
    } });
    afterAll(() => lead.stop());
    await lead.joined;
    await until(() => lead.isLeader(), 20_000);
    const writer = await openTopicWriter({ kafka, codec });
    afterAll(() => writer.close());
    // A cancel of an event no one has: every control in the test stack keeps it aside, harmlessly.
    const now = Date.now();
    const cancel = {
      eventId: freshName('lf-cancel'), kind: 'CANCEL' as const, scopeAssetId: freshName('lf-scope'), targetMw: null, startMs: now, endMs: now,
      issuedBy: 'leadership-fetch-test', issuedAtMs: now, cancelsEventId: freshName('lf-none'), reason: null, weatherCellIds: [],
    };
    await writer.publish(TopicNames.gridEvents, [{ key: cancel.scopeAssetId, value: cancel, partition: 0 }]);
    await until(() => seen.size > 0, 20_000);
    await new Promise((r) => setTimeout(r, 2_000));
    // Unresolved, the same batch came back about a thousand times in these two seconds.
    expect(again).toBe(0);
    expect(seen.size).toBeGreaterThan(0);
  }, 60_000);
});
