/**
 * The leadership member holds grid.events.v1 partition 0 and passes its records over. It must
 * move past them: a batch it left unresolved was fetched again at once, about 1,000 times a
 * second after the first grid event (found by strace in the 10k control bench). And a member
 * kafkajs stops for good (a crash on a non-retriable error) is replaced: the instance leads again.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../../services/platform/logger.ts';
import { openTopicWriter } from '../../../../services/platform/topic-writer.ts';
import { TopicNames } from '../../../../services/platform/topics.ts';
import { joinLeadership } from '../../../../services/operational/control/leadership.ts';
import { freshName } from '../../../support/stack-env.ts';
import { codec, kafka, until } from './control-fixture.ts';

// A cancel of an event no one has: every control in the test stack keeps it aside, harmlessly.
const harmlessCancel = (tag: string): { eventId: string; kind: 'CANCEL'; scopeAssetId: string; targetMw: null; startMs: number; endMs: number; issuedBy: string; issuedAtMs: number; cancelsEventId: string; reason: null; weatherCellIds: string[] } => {
  const now = Date.now();
  return {
    eventId: freshName(`${tag}-cancel`), kind: 'CANCEL', scopeAssetId: freshName(`${tag}-scope`), targetMw: null, startMs: now, endMs: now,
    issuedBy: 'leadership-fetch-test', issuedAtMs: now, cancelsEventId: freshName(`${tag}-none`), reason: null, weatherCellIds: [],
  };
};

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
    const cancel = harmlessCancel('lf');
    await writer.publish(TopicNames.gridEvents, [{ key: cancel.scopeAssetId, value: cancel, partition: 0 }]);
    await until(() => seen.size > 0, 20_000);
    await new Promise((r) => setTimeout(r, 2_000));
    // Unresolved, the same batch came back about a thousand times in these two seconds.
    expect(again).toBe(0);
    expect(seen.size).toBeGreaterThan(0);
  }, 60_000);

  it('is replaced when kafkajs stops it for good, and the instance leads again', async () => {
    let thrown = 0;
    const roles: boolean[] = [];
    // The batch handler throwing (a TypeError inside kafkajs did the same) crashes the member on a
    // non-retriable error: kafkajs does not restart it.
    const lead = await joinLeadership({ kafka, logger: createLogger('error', { service: 'test' }), groupId: freshName('leader-replace'), onBatch: () => {
      if (thrown++ === 0) throw new TypeError('handler failed');
    } });
    afterAll(() => lead.stop());
    lead.onChange((leader) => roles.push(leader));
    await lead.joined;
    await until(() => lead.isLeader(), 20_000);
    const writer = await openTopicWriter({ kafka, codec });
    afterAll(() => writer.close());
    const cancel = harmlessCancel('lr');
    await writer.publish(TopicNames.gridEvents, [{ key: cancel.scopeAssetId, value: cancel, partition: 0 }]);
    await until(() => roles.includes(false), 20_000);
    // Without a new member the role stays false for ever.
    await until(() => lead.isLeader(), 30_000);
    expect(thrown).toBeGreaterThan(0);
    // Led, lost the lease with the crash, led again through the new member.
    expect(roles.slice(roles.indexOf(false))).toEqual([false, true]);
  }, 90_000);
});
