/**
 * Replay protection per device as a sliding window over sequence numbers (as IPsec and DTLS do),
 * not a single high-water mark: a frame refused for a retryable reason (Kafka unavailable,
 * throttled) can be resent after later frames were accepted, and still be taken. A sequence
 * number is a replay when it was accepted already or lies at or below the window's floor, which
 * trails the highest accepted number by `size`.
 */
export interface ReplayWindow {
  floor: number;
  highest: number;
  readonly seen: Set<number>;
}

export const newReplayWindow = (): ReplayWindow => ({ floor: -1, highest: -1, seen: new Set() });

export const isReplay = (w: ReplayWindow, seq: number): boolean => seq <= w.floor || w.seen.has(seq);

/** Marks seq as taken: called when the frame is handed to Kafka (see unmark when that fails). */
export const markAccepted = (w: ReplayWindow, seq: number, size: number): void => {
  w.seen.add(seq);
  if (seq > w.highest) w.highest = seq;
  // Prune in bulk, not per frame: at most 2×size numbers are kept.
  if (w.seen.size > 2 * size) {
    w.floor = Math.max(w.floor, w.highest - size);
    for (const s of w.seen) if (s <= w.floor) w.seen.delete(s);
  }
};

/** Takes back a reservation whose frame was not stored after all, so its resend is accepted. */
export const unmark = (w: ReplayWindow, seq: number): void => {
  w.seen.delete(seq);
};
