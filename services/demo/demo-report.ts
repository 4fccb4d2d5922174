/** What `npm run demo` prints: progress lines and the closing summary. */
import type { ShardStats } from '../edge/simulator/fleet-runner.ts';

export interface GatewayCounters {
  readonly accepted: number;
  readonly rejects: Record<string, number>;
  readonly connections: number;
  /** Cumulative produce-latency histogram: [upper bound in seconds, count] per bucket. */
  readonly produceBuckets: ReadonlyArray<{ le: number; n: number }>;
}

/**
 * p99 of frame-to-Kafka-ack latency between two readings of the histogram, as the bucket bound
 * it falls in (Infinity: above the last bucket, 5 s); null when no frame was produced between.
 */
export const produceP99Ms = (now: GatewayCounters, before: GatewayCounters | undefined): number | null => {
  const delta = now.produceBuckets.map((b, i) => ({ le: b.le, n: b.n - (before?.produceBuckets[i]?.n ?? 0) }));
  const total = delta.at(-1)?.n ?? 0;
  if (total <= 0) return null;
  const le = delta.find((b) => b.n >= total * 0.99)?.le;
  return le === undefined ? null : le * 1000;
};

/** Reads the gateway's /metrics; null fields when it does not answer. */
export const gatewayCounters = async (url: string): Promise<GatewayCounters> => {
  try {
    const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2_000) })).text();
    const value = (re: RegExp): number => Number(re.exec(text)?.[1] ?? 0);
    const rejects: Record<string, number> = {};
    for (const m of text.matchAll(/^gridfleet_gateway_rejects_total\{code="(\w+)"\} (\d+)/gm)) rejects[m[1] ?? '?'] = Number(m[2]);
    const produceBuckets = [...text.matchAll(/^gridfleet_gateway_produce_latency_seconds_bucket\{le="([\d.+Inf]+)"\} (\d+)/gm)].map((m) => ({ le: m[1] === '+Inf' ? Infinity : Number(m[1]), n: Number(m[2]) }));
    return {
      accepted: value(/^gridfleet_gateway_frames_total\{kind="telemetry",result="accepted"\} (\d+)/m),
      rejects,
      connections: value(/^gridfleet_gateway_connections (\d+)/m),
      produceBuckets,
    };
  } catch {
    return { accepted: 0, rejects: {}, connections: 0, produceBuckets: [] };
  }
};

/** Telemetry rows in ClickHouse, or null when analytics does not answer quickly (it must never hold up the demo). */
/** ClickHouse's own login headers, for a server whose users have passwords (the secured stack). */
export const clickhouseLoginHeaders = (login?: { readonly user: string; readonly password: string }): Record<string, string> =>
  login ? { 'x-clickhouse-user': login.user, 'x-clickhouse-key': login.password } : {};

export const clickhouseRows = async (url: string, login?: { readonly user: string; readonly password: string }): Promise<number | null> => {
  try {
    const res = await fetch(`${url}/?query=${encodeURIComponent('SELECT count() FROM gridfleet.telemetry FORMAT TabSeparated')}`, { signal: AbortSignal.timeout(1_500), headers: clickhouseLoginHeaders(login) });
    return res.ok ? Number((await res.text()).trim()) : null;
  } catch {
    return null;
  }
};

const sum = (stats: readonly ShardStats[], f: (s: ShardStats) => number): number => stats.reduce((a, s) => a + f(s), 0);

export const printProgress = (out: (s: string) => void, stats: readonly ShardStats[], eventsPerSec: number, gw: GatewayCounters, p99Ms: number | null, rows: number | null): void => {
  const sim = stats.length > 0 ? new Date(Math.max(...stats.map((s) => s.simTimeMs))).toISOString().slice(0, 16).replace('T', ' ') : '-';
  const rejected = Object.values(gw.rejects).reduce((a, b) => a + b, 0);
  out(`  sim ${sim} UTC | devices online ${sum(stats, (s) => s.online)}/${sum(stats, (s) => s.devices)} | ${Math.round(eventsPerSec)} events/s | accepted ${sum(stats, (s) => s.accepted)} | rejected ${rejected} | buffered ${sum(stats, (s) => s.buffered)} | produce p99 ${p99Ms === null ? '-' : Number.isFinite(p99Ms) ? `≤ ${p99Ms}` : '> 5000'} ms${rows === null ? '' : ` | ClickHouse rows ${rows}`}`);
};

export const printSummary = (out: (s: string) => void, stats: readonly ShardStats[], gw: GatewayCounters, rows: number | null, seconds: number): void => {
  const accepted = sum(stats, (s) => s.accepted);
  out('\nsummary');
  out(`  devices              ${sum(stats, (s) => s.devices)} in ${stats.length} processes (${sum(stats, (s) => s.reconnects)} reconnects)`);
  out(`  telemetry accepted   ${accepted} frames (${Math.round(accepted / seconds)} per second), every one in telemetry.v1 with acks=-1`);
  out(`  still buffered       ${sum(stats, (s) => s.buffered)} frames (dropped: ${sum(stats, (s) => s.dropped)})`);
  out(`  rejected             ${JSON.stringify(gw.rejects)} (each answered with its reason and dead-lettered)`);
  out(`  weather and grid mix ${sum(stats, (s) => s.worldRecords)} observations published`);
  if (rows !== null) out(`  in ClickHouse        ${rows} telemetry rows (try: npm run sql -- "SELECT count() FROM gridfleet.telemetry")`);
};

/** One 5-second reading of the demo's progress loop. */
export interface DemoWindow {
  /** Real ms since the fleet started. */
  readonly atMs: number;
  readonly framesAccepted: number;
  /** p99 of telemetry frame-to-ack (Kafka has it) in the window, ms (bucket bound; Infinity above 5 s); null: no frame produced. */
  readonly ackP99Ms: number | null;
  /** Every device of the fleet has been online at least once by this reading. */
  readonly fleetOnline: boolean;
}

/**
 * The demo's verdict line (`npm run demo -- --json`): the worst window's telemetry ack p99 after
 * the first 20 s (start-up is not steady state), and how many windows accepted no telemetry once
 * the fleet was online (a stall, such as the one each grid event used to cause).
 */
export const demoVerdict = (windows: readonly DemoWindow[], skipMs = 20_000): { telemetryAckP99MsWorst: number | null; zeroRateWindows: number; windows: number } => {
  const steady = windows.filter((w) => w.atMs > skipMs);
  const p99s = steady.map((w) => w.ackP99Ms).filter((p): p is number => p !== null);
  let online = false;
  let zero = 0;
  for (const w of windows) {
    if (online && w.framesAccepted === 0) zero++;
    online ||= w.fleetOnline;
  }
  return { telemetryAckP99MsWorst: p99s.length === 0 ? null : Math.max(...p99s), zeroRateWindows: zero, windows: steady.length };
};
