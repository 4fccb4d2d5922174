/**
 * What a forecast run is, pure: its kind, the issue time a schedule slot maps to, and the ids that
 * make a run idempotent. A run is named by (kind, issued-at) and its chunks by (kind, issued-at,
 * chunk), so a retried or duplicated job lands on the same ids and the same snapshot.
 */
export const RunKinds = { weather: 'weather', emissions: 'emissions', sites: 'sites' } as const;
export type RunKind = (typeof RunKinds)[keyof typeof RunKinds];

export const isRunKind = (s: string): s is RunKind => Object.hasOwn(RunKinds, s);

/** Bumped whenever a model changes what it outputs for the same inputs. */
export const MODEL_VERSION = 'gf-forecast-2'; // 2: Ineichen clear sky, plane-of-array solar, night-spanning clearness persistence

/** Steps of every forecast: 48 hourly values. */
export const HORIZON_STEPS = 48;
export const STEP_MINUTES = 60;
export const HOUR_MS = 3_600_000;

export const runIdOf = (kind: RunKind, issuedAtMs: number): string => `${kind}-${issuedAtMs}`;
export const chunkIdOf = (runId: string, chunk: number): string => `${runId}-c${chunk}`;

/** Simulated time of a real instant under a shared simulation clock (null: real time). */
export const simTimeAt = (realMs: number, sim: { speed: number; simStartMs: number; realStartMs: number } | null): number =>
  sim === null ? realMs : sim.simStartMs + (realMs - sim.realStartMs) * sim.speed;

/**
 * Issue time of the run a schedule slot starts: the slot's simulated time floored to the kind's
 * interval. Every attempt of the slot's job maps to the same issue time.
 */
export const issuedAtForSlot = (slotRealMs: number, everyMin: number, sim: { speed: number; simStartMs: number; realStartMs: number } | null): number => {
  const every = everyMin * 60_000;
  return Math.floor(simTimeAt(slotRealMs, sim) / every) * every;
};

/** Real milliseconds between runs of a kind: its simulated interval divided by the speed. */
export const realEveryMs = (everyMin: number, sim: { speed: number } | null): number =>
  Math.max(1000, Math.round((everyMin * 60_000) / (sim?.speed ?? 1)));

/** Start of the first step: the hour the run is issued in (step 0 is the current hour). */
export const validFromOf = (issuedAtMs: number): number => Math.floor(issuedAtMs / HOUR_MS) * HOUR_MS;

/** [from, to) of each chunk over n items. */
export const chunkRanges = (n: number, size: number): Array<readonly [number, number]> => {
  const out: Array<readonly [number, number]> = [];
  for (let from = 0; from < n; from += size) out.push([from, Math.min(n, from + size)]);
  return out;
};
