/**
 * The assets writer coalesces what is published while a send is in flight into the next send,
 * keeps each partition under its byte budget, and tells each publish the offset of its own first
 * record per partition (the snapshot pointer depends on it).
 */
import { describe, expect, it } from 'vitest';
import type { OutgoingMessage, Producer, ProducedRecord } from '../../../../services/platform/kafka.ts';
import { createCoalescingWriter } from '../../../../services/operational/assets/assets-writer.ts';

const fakeProducer = () => {
  const sends: OutgoingMessage[][] = [];
  const ends = new Map<number, bigint>();
  let release: () => void = () => undefined;
  let gate = Promise.resolve();
  const producer: Producer = {
    async send(_topic, messages) {
      sends.push([...messages]);
      await gate;
      const out: ProducedRecord[] = [];
      for (const p of new Set(messages.map((m) => m.partition ?? 0))) {
        out.push({ topic: 't', partition: p, baseOffset: String(ends.get(p) ?? 0n) });
        ends.set(p, (ends.get(p) ?? 0n) + BigInt(messages.filter((m) => (m.partition ?? 0) === p).length));
      }
      return out;
    },
    disconnect: () => Promise.resolve(),
  };
  return { producer, sends, hold: () => (gate = new Promise((r) => (release = r))), release: () => release() };
};

const encode = (_t: string, v: unknown): Promise<Buffer> => Promise.resolve(Buffer.from(JSON.stringify(v)));
const rec = (key: string, partition: number, bytes = 10) => ({ key, partition, value: { pad: 'x'.repeat(bytes) } as never });

describe('assets writer', () => {
  it('sends what was published during a send together in the next one, with each publish\'s own offsets', async () => {
    const f = fakeProducer();
    let counted = 0;
    const w = createCoalescingWriter(f.producer, encode, (_t, b) => (counted += b));
    void f.hold();
    const first = w.publish('asset.state.v1', [rec('a', 0)], 'x');
    await new Promise((r) => setImmediate(r));
    const second = w.publish('asset.state.v1', [rec('b', 0), rec('c', 1)], 'x');
    const third = w.publish('asset.state.v1', [rec('d', 0)], 'x');
    await new Promise((r) => setImmediate(r));
    f.release();
    expect(await first).toEqual([{ topic: 'x', partition: 0, baseOffset: '0' }]);
    expect(await second).toEqual([{ topic: 'x', partition: 0, baseOffset: '1' }, { topic: 'x', partition: 1, baseOffset: '0' }]);
    expect(await third).toEqual([{ topic: 'x', partition: 0, baseOffset: '2' }]);
    expect(f.sends.map((s) => s.map((m) => m.key))).toEqual([['a'], ['b', 'c', 'd']]);
    expect(counted).toBeGreaterThan(0);
    await w.close();
  });

  it('keeps a partition under its byte budget per send, and fails only the publishes of a failed send', async () => {
    const f = fakeProducer();
    const w = createCoalescingWriter(f.producer, encode, () => undefined);
    void f.hold();
    const a = w.publish('asset.state.v1', [rec('a', 0)], 'x');
    await new Promise((r) => setImmediate(r));
    const big = [w.publish('asset.state.v1', [rec('b', 0, 500_000)], 'x'), w.publish('asset.state.v1', [rec('c', 0, 500_000)], 'x')];
    await new Promise((r) => setImmediate(r));
    f.release();
    await Promise.all([a, ...big]);
    expect(f.sends.map((s) => s.map((m) => m.key))).toEqual([['a'], ['b'], ['c']]);
    const failing: Producer = { send: () => Promise.reject(new Error('down')), disconnect: () => Promise.resolve() };
    const w2 = createCoalescingWriter(failing, encode, () => undefined);
    await expect(w2.publish('asset.state.v1', [rec('z', 0)], 'x')).rejects.toThrow('down');
  });
});
