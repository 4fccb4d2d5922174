/** Time is an effect: domain code receives a Clock instead of calling Date.now(). */
export interface Clock {
  /** UTC epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = Object.freeze({ now: () => Date.now() });

/** A clock that only moves when told to: for tests and simulation. */
export const manualClock = (startMs = 0): Clock & { advance(ms: number): void; set(ms: number): void } => {
  let t = startMs;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
    set: (ms: number) => {
      t = ms;
    },
  };
};
