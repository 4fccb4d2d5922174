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

/**
 * Simulated time: starts at simStartMs when the real clock reads realStartMs and runs `speed`
 * times faster. Every event time in a simulation is read from one of these, so a gateway and a
 * fleet configured with the same start and speed agree on "now".
 */
export const virtualClock = (real: Clock, opts: { simStartMs: number; realStartMs: number; speed: number }): Clock & { readonly speed: number } => ({
  speed: opts.speed,
  now: () => opts.simStartMs + (real.now() - opts.realStartMs) * opts.speed,
});

/** The clock a process should use for event times: simulated when the config says so. */
export const clockFor = (sim: { speed: number; simStartMs: number; realStartMs: number } | null, real: Clock = systemClock): Clock =>
  sim === null ? real : virtualClock(real, sim);
