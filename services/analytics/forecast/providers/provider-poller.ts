/**
 * Polls each configured provider on its schedule and publishes what it fetched to
 * provider.forecasts.v1 (the effects; the adapters are pure). A poll that fails (the network, a
 * 5xx, a response that does not have the documented shape) is counted, logged with the reason,
 * and tried again at the next slot: it never ends the process, and never touches the control
 * path. One poll per source is in flight at a time; a WattTime token is fetched on the first poll
 * and again after a 401.
 */
import type { ProviderForecast } from '../../../platform/events.ts';
import type { Logger } from '../../../platform/logger.ts';
import { err, ok, type Result } from '../../../platform/result.ts';
import type { ProviderAdapter, ProviderRequest } from './provider-source.ts';

export const PollOutcomes = { published: 'published', fetchFailed: 'fetch-failed', badResponse: 'bad-response', publishFailed: 'publish-failed' } as const;
export type PollOutcome = (typeof PollOutcomes)[keyof typeof PollOutcomes];

/** An HTTP GET that resolves with the parsed JSON body, or the reason (status 401 is told apart). */
export type FetchJson = (req: ProviderRequest) => Promise<Result<unknown, { status: number; reason: string }>>;

export interface PollDeps {
  readonly fetchJson: FetchJson;
  readonly publish: (records: readonly ProviderForecast[]) => Promise<void>;
  readonly now: () => number;
  readonly logger: Logger;
  readonly onOutcome?: (sourceId: string, outcome: PollOutcome) => void;
}

export const fetchJsonWith = (timeoutMs: number): FetchJson => async (req) => {
  try {
    const res = await fetch(req.url, { headers: req.headers, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    if (!res.ok) return err({ status: res.status, reason: `HTTP ${res.status}: ${text.slice(0, 200)}` });
    try {
      return ok(JSON.parse(text) as unknown);
    } catch {
      return err({ status: res.status, reason: `not JSON: ${text.slice(0, 120)}` });
    }
  } catch (e) {
    return err({ status: 0, reason: e instanceof Error ? e.message : String(e) });
  }
};

/** One poll of one source: fetch every request, parse, publish. Resolves with the outcome, never rejects. */
export const pollOnce = async (adapter: ProviderAdapter, deps: PollDeps, auth: { token: string | null }): Promise<{ outcome: PollOutcome; records: number; reason?: string }> => {
  const done = (outcome: PollOutcome, records: number, reason?: string) => {
    deps.onOutcome?.(adapter.sourceId, outcome);
    if (reason !== undefined) deps.logger.warn('provider poll failed', { source: adapter.sourceId, outcome, reason });
    return { outcome, records, ...(reason === undefined ? {} : { reason }) };
  };
  const login = async (): Promise<string | null> => {
    if (adapter.login === null) return null;
    const r = await deps.fetchJson(adapter.login.request);
    if (!r.ok) throw new Error(`login: ${r.error.reason}`);
    return adapter.login.token(r.value);
  };
  const fetchedAtMs = deps.now();
  const bodies: unknown[] = [];
  try {
    if (adapter.login !== null && auth.token === null) auth.token = await login();
    for (const req of adapter.requests(fetchedAtMs, auth.token)) {
      let r = await deps.fetchJson(req);
      if (!r.ok && r.error.status === 401 && adapter.login !== null) {
        auth.token = await login();
        r = await deps.fetchJson(adapter.requests(fetchedAtMs, auth.token).find((q) => q.url === req.url) ?? req);
      }
      if (!r.ok) return done(PollOutcomes.fetchFailed, 0, r.error.reason);
      bodies.push(r.value);
    }
  } catch (e) {
    return done(PollOutcomes.fetchFailed, 0, e instanceof Error ? e.message : String(e));
  }
  const parsed = adapter.parse(bodies, fetchedAtMs);
  if (!parsed.ok) return done(PollOutcomes.badResponse, 0, parsed.error);
  try {
    await deps.publish(parsed.value);
  } catch (e) {
    return done(PollOutcomes.publishFailed, 0, e instanceof Error ? e.message : String(e));
  }
  return done(PollOutcomes.published, parsed.value.length);
};

/** Polls every adapter now and then every `everyMs`; stop() waits for polls in flight. */
export const startPollers = (adapters: readonly ProviderAdapter[], everyMs: number, deps: PollDeps): { stop(): Promise<void> } => {
  const inFlight = new Map<string, Promise<unknown>>();
  const auth = new Map(adapters.map((a) => [a.sourceId, { token: null as string | null }]));
  const tick = (): void => {
    for (const a of adapters) {
      if (inFlight.has(a.sourceId)) continue;
      const p = pollOnce(a, deps, auth.get(a.sourceId) ?? { token: null }).finally(() => inFlight.delete(a.sourceId));
      inFlight.set(a.sourceId, p);
    }
  };
  tick();
  const timer = setInterval(tick, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.allSettled([...inFlight.values()]);
    },
  };
};
