/**
 * The live panels' data: while any browser has the stream open, the console polls the
 * operational services every CONSOLE_POLL_MS (assets' subtree, control's events with each
 * session's own token, the gateway's and ingest's /metrics and health) and pushes the results
 * to the browsers as server-sent events. One poll at a time; a slow or dead service only makes its
 * own part stale (its error is shown), never the others. ClickHouse is not asked here.
 */
import type { ServerResponse } from 'node:http';
import type { ConsoleConfig } from './config.ts';
import { cutShort, mapPoints, parseSubtree, siteOnly, type FleetNode, type FleetSnapshot, type SiteLocation } from './fleet-view.ts';

export type { FleetSnapshot };
import { isOpen, parseEventSummary, parseFulfillment, type EventSummary, type FulfillmentDetail } from './fulfillment-view.ts';
import {
  analyticsTier, forecastKinds, forecastTier, remember, RATE_WINDOW_MS, trackCreated, createDeliveryTracker, histogramP99Ms, latestDeliveryMs, parsePrometheus, rateOf, sumOf, tierFromStatus, trackDelivery,
  type AnalyticsState, type HealthView, type MetricSample,
} from './health-view.ts';
import { capabilitiesOf } from './roles.ts';
import type { Session } from './sessions.ts';
import { call, errorOf, type Answer } from './upstream.ts';

interface Stream {
  readonly session: Session;
  readonly res: ServerResponse;
}

const DETAILS = 6;

export interface LiveFeed {
  open(session: Session, res: ServerResponse): void;
  /** Ends the streams of a session that signed out. */
  endSession(sessionId: string): void;
  /** Remember when the console created an event, for the dispatch-to-delivered latency. */
  created(eventId: string): void;
  fleet(): FleetSnapshot | null;
  streams(): number;
  close(): void;
}

export const createLiveFeed = (deps: {
  config: ConsoleConfig;
  /** The services' time (simulated in a simulation): what the panels show as now. */
  now: () => number;
  /** Real time, for latencies. */
  realNow: () => number;
  locations: () => ReadonlyMap<string, SiteLocation>;
  analytics: () => AnalyticsState;
}): LiveFeed => {
  const { config } = deps;
  const streams = new Set<Stream>();
  const tracker = createDeliveryTracker();
  let fleet: FleetSnapshot | null = null;
  let frameHistory: ReadonlyArray<{ value: number; atMs: number }> = [];
  let timer: NodeJS.Timeout | undefined;
  let polling = false;
  let closed = false;
  const t = config.upstreamTimeoutMs;

  const send = (s: Stream, event: string, data: unknown): void => {
    if (!s.res.writableEnded) s.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };

  const pollFleet = async (): Promise<void> => {
    const a = await call(`${config.assetsUrl}/v1/assets/${encodeURIComponent(config.fleetId)}/subtree?depth=${config.treeDepth}`, { timeoutMs: t, token: config.assetsToken });
    const at = deps.now();
    if (a.status !== 200) {
      fleet = { atMs: fleet?.atMs ?? at, root: fleet?.root ?? null, truncated: fleet?.truncated ?? false, points: fleet?.points ?? [], unplaced: fleet?.unplaced ?? 0, error: errorOf(a, 'the assets read API').message };
      return;
    }
    const parsed = parseSubtree(a.body);
    if (!parsed.ok) {
      fleet = { ...(fleet ?? { root: null, truncated: false, points: [], unplaced: 0 }), atMs: at, error: `assets answered an unexpected shape: ${parsed.error}` };
      return;
    }
    const m = mapPoints(parsed.value, deps.locations());
    fleet = { atMs: at, root: parsed.value, truncated: cutShort(parsed.value), error: null, points: m.points, unplaced: m.unplaced };
  };

  const metrics = async (url: string): Promise<{ answer: Answer; samples: MetricSample[] }> => {
    const answer = await call(`${url}/metrics`, { timeoutMs: t });
    return { answer, samples: answer.status === 200 ? parsePrometheus(answer.text) : [] };
  };

  const pollHealth = async (): Promise<HealthView> => {
    const [gwHealth, gwMetrics, ingHealth, ingMetrics, ctl, assets, fcMetrics] = await Promise.all([
      call(`${config.gatewayUrl}/healthz`, { timeoutMs: t }), metrics(config.gatewayUrl),
      call(`${config.ingestUrl}/healthz`, { timeoutMs: t }), metrics(config.ingestUrl),
      call(`${config.controlUrl}/healthz`, { timeoutMs: t }), call(`${config.assetsUrl}/healthz`, { timeoutMs: t }), metrics(config.forecastUrl),
    ]);
    const kinds = forecastKinds(fcMetrics.samples);
    const at = deps.now();
    const frames = { value: sumOf(gwMetrics.samples, 'gridfleet_gateway_frames_total', { kind: 'telemetry', result: 'accepted' }), atMs: at };
    const view: HealthView = {
      atMs: at,
      tiers: [
        tierFromStatus('gateway', gwHealth.status, config.gatewayUrl),
        tierFromStatus('assets', assets.status, config.assetsUrl),
        tierFromStatus('control', ctl.status, config.controlUrl),
        tierFromStatus('ingest', ingHealth.status, config.ingestUrl),
        analyticsTier(deps.analytics(), sumOf(ingMetrics.samples, 'gridfleet_ingest_paused')),
        forecastTier(fcMetrics.answer.status, config.forecastUrl, kinds),
      ],
      forecastKinds: kinds,
      gatewayConnections: sumOf(gwMetrics.samples, 'gridfleet_gateway_connections'),
      telemetryPerSec: rateOf(frameHistory[0] ?? null, frames),
      produceP99Ms: histogramP99Ms(gwMetrics.samples, 'gridfleet_gateway_produce_latency_seconds'),
      ingestLagRecords: sumOf(ingMetrics.samples, 'gridfleet_ingest_lag_records'),
      ingestRowsPerSec: sumOf(ingMetrics.samples, 'gridfleet_ingest_rows_per_second'),
      dispatchToDeliveredMs: latestDeliveryMs(tracker),
      pollMs: config.pollMs,
      ...freshness(fleet?.root ?? null),
    };
    frameHistory = remember(frameHistory, frames, RATE_WINDOW_MS);
    return view;
  };

  /** Events and the details of the newest few, as one token sees them. */
  const pollEvents = async (token: string): Promise<{ events: EventSummary[]; details: FulfillmentDetail[]; error: string | null }> => {
    const list = await call(`${config.controlUrl}/v1/events`, { token, timeoutMs: t });
    if (list.status !== 200) return { events: [], details: [], error: errorOf(list, 'control').message };
    const raw = (list.body as { events?: unknown[] } | null)?.events ?? [];
    const events = raw.flatMap((e) => parseEventSummary(e) ?? []);
    const wanted = [...events.filter((e) => isOpen(e.status)), ...events.filter((e) => !isOpen(e.status))].slice(0, DETAILS);
    const details = await Promise.all(wanted.map(async (e) => {
      const d = await call(`${config.controlUrl}/v1/events/${encodeURIComponent(e.eventId)}`, { token, timeoutMs: t });
      return d.status === 200 ? parseFulfillment(e.eventId, d.body) : null;
    }));
    const real = deps.realNow();
    const got = details.flatMap((d) => d ?? []);
    for (const d of got) trackDelivery(tracker, d.eventId, d.targetedSites, d.deliveredSites, real);
    return { events, details: got, error: null };
  };

  const poll = async (): Promise<void> => {
    if (polling || streams.size === 0) return;
    polling = true;
    try {
      const needsFleet = [...streams].some((s) => capabilitiesOf(s.session.role).seeFleet || s.session.siteId !== null);
      await (needsFleet ? pollFleet() : Promise.resolve());
      const health = [...streams].some((s) => capabilitiesOf(s.session.role).seeHealth) ? await pollHealth() : null;
      const byToken = new Map<string, Awaited<ReturnType<typeof pollEvents>>>();
      for (const s of streams) {
        const caps = capabilitiesOf(s.session.role);
        if (caps.seeEvents && !byToken.has(s.session.token)) byToken.set(s.session.token, await pollEvents(s.session.token));
      }
      const customerSites = new Map<string, Answer>();
      for (const s of streams) {
        if (s.session.siteId !== null && !customerSites.has(s.session.token)) {
          customerSites.set(s.session.token, await call(`${config.controlUrl}/v1/sites/${encodeURIComponent(s.session.siteId)}`, { token: s.session.token, timeoutMs: t }));
        }
      }
      for (const s of streams) push(s, health, byToken.get(s.session.token) ?? null, customerSites.get(s.session.token) ?? null);
    } finally {
      polling = false;
    }
  };

  const push = (s: Stream, health: HealthView | null, events: Awaited<ReturnType<typeof pollEvents>> | null, site: Answer | null): void => {
    const caps = capabilitiesOf(s.session.role);
    const at = deps.now();
    if (caps.seeFleet && fleet !== null) send(s, 'fleet', fleet);
    if (caps.seeHealth && health !== null) send(s, 'health', health);
    if (caps.seeEvents && events !== null) send(s, 'events', { atMs: at, ...events });
    if (caps.ownSite && s.session.siteId !== null) {
      const node = fleet?.root === null || fleet === null ? null : siteOnly(fleet.root, s.session.siteId);
      send(s, 'site', { atMs: at, siteId: s.session.siteId, node, choices: site?.status === 200 ? site.body : null, error: site === null || site.status === 200 ? null : errorOf(site, 'control').message });
    }
  };

  const loop = (): void => {
    if (closed) return;
    timer = setTimeout(() => {
      poll().catch(() => undefined).finally(loop);
    }, config.pollMs);
  };
  loop();

  return {
    open(session, res) {
      const s: Stream = { session, res };
      streams.add(s);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      res.write(`retry: 2000\n\n`);
      send(s, 'hello', { role: session.role, siteId: session.siteId, pollMs: config.pollMs });
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
      res.on('close', () => {
        clearInterval(keepAlive);
        streams.delete(s);
      });
      // The first picture without waiting a whole interval.
      poll().catch(() => undefined);
    },
    endSession(sessionId) {
      for (const s of [...streams]) {
        if (s.session.id !== sessionId) continue;
        streams.delete(s);
        s.res.end();
      }
    },
    created: (eventId) => void trackCreated(tracker, eventId, deps.realNow()),
    fleet: () => fleet,
    streams: () => streams.size,
    close() {
      closed = true;
      clearTimeout(timer);
      for (const s of streams) s.res.end();
      streams.clear();
    },
  };
};

/** Newest forecast issue and newest telemetry over the fleet's sites (fleet time, UTC ms). */
const freshness = (root: FleetNode | null): { newestForecastMs: number | null; newestTelemetryMs: number | null } => {
  let f: number | null = null;
  let s: number | null = null;
  const walk = (n: FleetNode): void => {
    if (n.forecastIssuedAtMs !== null && (f === null || n.forecastIssuedAtMs > f)) f = n.forecastIssuedAtMs;
    if (n.kind === 'SITE' && n.lastSeenMs !== null && (s === null || n.lastSeenMs > s)) s = n.lastSeenMs;
    for (const c of n.children) walk(c);
  };
  if (root !== null) walk(root);
  return { newestForecastMs: f, newestTelemetryMs: s };
};
