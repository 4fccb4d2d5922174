/**
 * Spreads large fan-outs: each item is due at enqueue time plus a random jitter, and at most
 * ratePerSec items are released per second. Used for forecast bundles, which arrive for every
 * site at once when a run publishes; commands skip it (control latency matters more).
 */
export interface Fanout<T> {
  enqueue(item: T): void;
  size(): number;
  stop(): void;
}

export const createFanout = <T>(opts: {
  ratePerSec: number;
  jitterMs: number;
  random: () => number;
  now: () => number;
  deliver: (item: T) => void;
  tickMs?: number;
}): Fanout<T> => {
  const tickMs = opts.tickMs ?? 20;
  // Items kept in due order: a small binary heap keyed by due time.
  const heap: Array<{ due: number; item: T }> = [];
  const push = (e: { due: number; item: T }): void => {
    heap.push(e);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pi = heap[p];
      const ci = heap[i];
      if (!pi || !ci || pi.due <= ci.due) break;
      heap[p] = ci;
      heap[i] = pi;
      i = p;
    }
  };
  const pop = (): { due: number; item: T } | undefined => {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if ((heap[l]?.due ?? Infinity) < (heap[m]?.due ?? Infinity)) m = l;
        if ((heap[r]?.due ?? Infinity) < (heap[m]?.due ?? Infinity)) m = r;
        if (m === i) break;
        const a = heap[i];
        const b = heap[m];
        if (!a || !b) break;
        heap[i] = b;
        heap[m] = a;
        i = m;
      }
    }
    return top;
  };
  let budget = 0;
  const timer = setInterval(() => {
    budget = Math.min(opts.ratePerSec, budget + (opts.ratePerSec * tickMs) / 1000);
    const t = opts.now();
    while (budget >= 1 && heap.length > 0 && (heap[0]?.due ?? Infinity) <= t) {
      const e = pop();
      if (!e) break;
      budget--;
      opts.deliver(e.item);
    }
  }, tickMs);
  timer.unref();
  return {
    enqueue: (item) => push({ due: opts.now() + opts.random() * opts.jitterMs, item }),
    size: () => heap.length,
    stop: () => clearInterval(timer),
  };
};
