/**
 * Token bucket, pure: `take` returns the new bucket and whether the frame may pass. A device that
 * keeps exceeding its rate is throttled frame by frame, then disconnected after `strikesToDisconnect`
 * refusals within one refill period of the burst.
 */
export interface Bucket {
  readonly tokens: number;
  readonly updatedMs: number;
  readonly strikes: number;
}

export interface BucketPolicy {
  /** Sustained frames per second. */
  readonly ratePerSec: number;
  /** Frames that may arrive at once. */
  readonly burst: number;
  readonly strikesToDisconnect: number;
}

export const fullBucket = (policy: BucketPolicy, nowMs: number): Bucket => ({ tokens: policy.burst, updatedMs: nowMs, strikes: 0 });

export type TakeOutcome = 'pass' | 'throttle' | 'disconnect';

export const take = (b: Bucket, policy: BucketPolicy, nowMs: number): { bucket: Bucket; outcome: TakeOutcome } => {
  const refilled = Math.min(policy.burst, b.tokens + (Math.max(0, nowMs - b.updatedMs) / 1000) * policy.ratePerSec);
  if (refilled >= 1) {
    // Strikes decay as the device behaves.
    return { bucket: { tokens: refilled - 1, updatedMs: nowMs, strikes: Math.max(0, b.strikes - 1 / Math.max(1, policy.burst)) }, outcome: 'pass' };
  }
  const strikes = b.strikes + 1;
  return { bucket: { tokens: refilled, updatedMs: nowMs, strikes }, outcome: strikes >= policy.strikesToDisconnect ? 'disconnect' : 'throttle' };
};
