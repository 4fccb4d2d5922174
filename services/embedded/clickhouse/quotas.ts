/**
 * Per-user quotas over time, as ClickHouse's quotas: each interval of a user's `quota` in the
 * users file (`[{ "duration": 3600, "queries": 1000, "result_rows": 100000000 }]`) counts what the
 * user did since the interval began (intervals are aligned to the epoch, as ClickHouse's are when
 * not randomized), and a query once a limit is used up is answered with QUOTA_EXCEEDED (201),
 * naming the counter, the use and the limit, and when the interval ends.
 *
 * `queries` counts every request that reaches a query (the refused one too, as ClickHouse).
 * `result_rows` counts the rows a SELECT streamed back (every SELECT except those with
 * `wait_end_of_query=1` or a whole-document format such as JSON or Pretty, whose rows the engine
 * does not report); it is checked before each query, so the query
 * that crosses the limit completes and the next is refused. Counters live in the server's memory:
 * a restart starts the intervals afresh. Parsing is pure; the counters take the clock as an argument.
 */
import { err, ok, type Result } from '../../platform/result.ts';
import { ownException, type ChException } from './exception.ts';

export const QuotaCounters = ['queries', 'result_rows'] as const;
export type QuotaCounter = (typeof QuotaCounters)[number];

export interface QuotaInterval {
  readonly durationSec: number;
  /** Limits per counter; a counter without one is not limited. */
  readonly max: Readonly<Partial<Record<QuotaCounter, number>>>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const positiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

/** Validates a user's `quota`: a list of `{ duration (s), queries?, result_rows? }`. */
export const parseQuota = (raw: unknown): Result<readonly QuotaInterval[], string> => {
  if (!Array.isArray(raw)) return err('quota must be a list of intervals');
  const intervals: QuotaInterval[] = [];
  const problems: string[] = [];
  for (const i of raw) {
    if (!isRecord(i) || !positiveInt(i['duration'])) {
      problems.push('each quota interval needs a duration in seconds (a positive integer)');
      continue;
    }
    const max: Partial<Record<QuotaCounter, number>> = {};
    for (const [k, v] of Object.entries(i)) {
      if (k === 'duration') continue;
      if (!(QuotaCounters as readonly string[]).includes(k)) problems.push(`quota counter ${k} is not supported (only ${QuotaCounters.join(', ')})`);
      else if (!positiveInt(v)) problems.push(`quota ${k} must be a positive integer`);
      else max[k as QuotaCounter] = v;
    }
    intervals.push({ durationSec: i['duration'], max });
  }
  return problems.length > 0 ? err(problems.join('; ')) : ok(intervals);
};

export interface QuotaUser {
  readonly name: string;
  readonly quota?: readonly QuotaInterval[];
}

export type Admission =
  | { readonly ok: true; readonly record: (use: { readonly resultRows: number }) => void }
  | { readonly ok: false; readonly exception: ChException };

export interface Quotas {
  /** Counts the query against the user's quota, or refuses it when a limit is used up. */
  admit(user: QuotaUser, nowMs: number): Admission;
}

const describeDuration = (sec: number): string => (sec % 3600 === 0 ? `${sec / 3600}h` : sec % 60 === 0 ? `${sec / 60}m` : `${sec}s`);
const stamp = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');

export const createQuotas = (): Quotas => {
  // user -> interval index -> [interval start ms, used counters]
  const used = new Map<string, Array<{ startMs: number; queries: number; result_rows: number }>>();
  const NONE: Admission = { ok: true, record: () => undefined };
  return {
    admit(user, nowMs) {
      const intervals = user.quota;
      if (intervals === undefined || intervals.length === 0) return NONE;
      const mine = used.get(user.name) ?? [];
      used.set(user.name, mine);
      const current = intervals.map((q, i) => {
        const startMs = Math.floor(nowMs / (q.durationSec * 1000)) * q.durationSec * 1000;
        const u = mine[i];
        if (u === undefined || u.startMs !== startMs) mine[i] = { startMs, queries: 0, result_rows: 0 };
        return { q, u: mine[i] as { startMs: number; queries: number; result_rows: number } };
      });
      for (const { u } of current) u.queries++;
      for (const { q, u } of current) {
        const over = u.queries > (q.max.queries ?? Infinity) ? 'queries' : u.result_rows >= (q.max.result_rows ?? Infinity) ? 'result_rows' : undefined;
        if (over === undefined) continue;
        const shown = over === 'queries' ? u.queries : u.result_rows;
        return {
          ok: false,
          exception: ownException('QUOTA_EXCEEDED', `Quota for user '${user.name}' for ${describeDuration(q.durationSec)} has been exceeded: ${over} = ${shown}/${q.max[over] ?? 0}. Interval will end at ${stamp(u.startMs + q.durationSec * 1000)}`),
        };
      }
      return {
        ok: true,
        record: ({ resultRows }) => {
          for (const { u } of current) u.result_rows += resultRows;
        },
      };
    },
  };
};
