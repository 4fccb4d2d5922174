/**
 * Reconnect delay with exponential backoff and full jitter: a fleet that lost the gateway at the
 * same moment does not come back at the same moment.
 */
export const backoffMs = (attempt: number, random: () => number, baseMs = 500, maxMs = 30_000): number =>
  Math.floor(random() * Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30)));
