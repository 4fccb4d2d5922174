/**
 * The isolation harness itself, shared by `npm run bench -- isolation` and the CI-sized test
 * (test/e2e/isolation): the whole platform as processes (bench/_control-system.ts) with telemetry
 * flowing and an operator dispatching from the next feeder every few seconds, a baseline phase,
 * one phase per fault, a recovery phase, then the reconciliation and its negative control.
 *
 * Measured per phase (by when the event was requested or the frame acknowledged): dispatch request
 * to command delivered at each targeted device (p50, p99, max), commands lost (targeted but never
 * delivered), requests control refused, acknowledgement rate, measured response against target,
 * and the gateway's telemetry acknowledgement latency at the devices.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAvroCodec, createRegistryClient } from '../services/platform/avro-codec.ts';
import { createKafkaAdapter, type KafkaAdapter, type TopicOffsets } from '../services/platform/kafka.ts';
import { openTopicWriter, type TopicWriter } from '../services/platform/topic-writer.ts';
import { createLogger } from '../services/platform/logger.ts';
import { TopicNames } from '../services/platform/topics.ts';
import type { PartName } from '../services/embedded/stack/layout.ts';
import { createCommandLedger, dispatch, eventDetail, refusalOf, type IssuedEvent } from './_control-dispatch.ts';
import { startSystem, waitFleetOnline, type System } from './_control-system.ts';
import { quantile } from './_harness.ts';
import { sleep, type Fault, type FaultContext } from './_isolation-faults.ts';
import { reconcileRun, type Reconciliation } from './_isolation-checks.ts';

export interface IsolationOptions {
  readonly stack: { readonly portBase: number } | { readonly env: Record<string, string> };
  readonly servicePortBase: number;
  readonly tag: string;
  readonly sites: number;
  readonly sitesPerFeeder?: number;
  readonly phaseMs: number;
  readonly telemetryMs: number;
  readonly eventEveryMs: number;
  readonly faults: readonly Fault[];
  readonly logLevels?: Readonly<Record<string, string>>;
  /** Runs once the system is up, before the phases (e.g. to start the forecast tier's worker). */
  readonly onSystem?: (sys: System) => Promise<void>;
  /** How long the reconciliation waits for each catch-up (devices acknowledged, ingest landed, rollups); default 300 s. */
  readonly catchUpMs?: number;
  readonly progress: (line: string) => void;
}

export interface PhaseResult {
  readonly name: string;
  readonly analytics: boolean;
  readonly events: number;
  readonly targeted: number;
  readonly delivered: number;
  readonly lost: number;
  readonly refused: number;
  /** Why the refused dispatches were refused (`503 CTRL_NOT_LEADER`, a request that failed, ...) and how many each. */
  readonly refusals: Readonly<Record<string, number>>;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly p99Ratio: number;
  readonly ackRate: number;
  readonly responseShare: number;
  readonly gatewayAckP99Ms: number;
  readonly marks: string[];
  /** kafka-restarted: from the broker stopping to the first later dispatch (this phase or after) delivered everywhere. */
  readonly recoveryMs?: number;
  readonly pass: boolean | null;
}

export interface IsolationResult {
  readonly phases: PhaseResult[];
  readonly reconciliation: Reconciliation;
  readonly pass: boolean;
  readonly worstControlP99Ratio: number;
  readonly sites: number;
  /** Services that exited on their own during the run and were started again by the harness's supervisor. */
  readonly restarts: Record<string, number>;
}

interface PhaseState { name: string; analytics: boolean; startMs: number; endMs: number; events: IssuedEvent[]; refused: number; refusals: Map<string, number>; ackLatencyMs: number[]; marks: Array<{ atMs: number; label: string }>; responses: number[] }

const RATIO_LIMIT = 1.25;

export const runIsolation = async (o: IsolationOptions): Promise<IsolationResult> => {
  const parts: PartName[] = ['kafka', 'registry', 'clickhouse', 'redis'];
  let sys: System | undefined;
  let writer: TopicWriter | undefined;
  try {
    let startOffsets: { telemetry: TopicOffsets[]; commands: TopicOffsets[]; acks: TopicOffsets[] } | undefined;
    let kafka: KafkaAdapter | undefined;
    sys = await startSystem({
      stack: o.stack, servicePortBase: o.servicePortBase, tag: o.tag, sites: o.sites, parts, ingest: true, assetsInstances: 2, telemetryMs: o.telemetryMs, progress: o.progress,
      ...(o.sitesPerFeeder === undefined ? {} : { sitesPerFeeder: o.sitesPerFeeder }),
      ...(o.logLevels === undefined ? {} : { logLevels: o.logLevels }),
      // The reconciliation's window starts before the first frame of the run.
      beforeDevices: async (stack) => {
        kafka = createKafkaAdapter({ brokers: stack.config.kafkaBrokers, clientId: `isolation-${o.tag}`, logger: createLogger('error') });
        const admin = await kafka.admin();
        try {
          startOffsets = {
            telemetry: await admin.topicOffsets(TopicNames.telemetry),
            commands: await admin.topicOffsets(TopicNames.controlCommands),
            acks: await admin.topicOffsets(TopicNames.controlAcks),
          };
        } finally {
          await admin.disconnect();
        }
      },
    });
    const s = sys;
    const k: KafkaAdapter | undefined = kafka;
    const offsets0 = startOffsets;
    if (!k || !offsets0) throw new Error('the system started without taking the start offsets');
    const codec = createAvroCodec({ registry: createRegistryClient(s.bench.config.registryUrl) });
    await o.onSystem?.(s);
    const online = await waitFleetOnline(s, o.sites, Math.max(600_000, o.telemetryMs * 6), o.progress);
    if (online < o.sites) throw new Error(`the asset actors saw only ${online}/${o.sites} sites online`);

    const feeders = s.plan.feeders.map((f) => ({ id: f.feederId, sites: s.plan.sites.filter((x) => x.feederId === f.feederId).length })).filter((f) => f.sites > 0);
    const eventMs = Math.max(12_000, o.telemetryMs * 2 + 6_000);
    const responseAfterMs = o.telemetryMs * 2 + 3_000;
    const ledger = createCommandLedger();
    const phases: PhaseState[] = [];
    let current: PhaseState | undefined;
    let stop = false;
    let issued = 0;
    const inflight = new Set<Promise<void>>();
    const sampled = new Set<string>();

    const refuse = (phase: PhaseState, why: string): void => {
      phase.refused++;
      phase.refusals.set(why, (phase.refusals.get(why) ?? 0) + 1);
    };
    const issue = (phase: PhaseState): void => {
      const f = feeders[issued++ % feeders.length];
      if (!f) return;
      const p = dispatch(s, f.id, Math.round(f.sites * 2) / 1000, eventMs)
        .then((e) => void phase.events.push(e))
        .catch((e: unknown) => refuse(phase, refusalOf(e)))
        .finally(() => inflight.delete(p));
      inflight.add(p);
    };
    const driver = (async (): Promise<void> => {
      let nextEvent = Date.now();
      let nextDrain = Date.now();
      while (!stop) {
        const now = Date.now();
        const phase = current;
        if (phase && now >= nextEvent) {
          nextEvent = now + o.eventEveryMs;
          // A request still hanging (the broker is down) is not stacked up on: at most three open.
          if (inflight.size < 3) issue(phase);
          else refuse(phase, 'not sent: three requests still open');
        }
        if (now >= nextDrain) {
          nextDrain = now + 1_000;
          const d = await s.drain();
          ledger.add(d.commands);
          // No spread: a drain at 100k sites holds more values than a call may take arguments.
          for (const ms of d.ackLatencyMs) phase?.ackLatencyMs.push(ms);
          for (const ph of phases) {
            for (const e of ph.events) {
              if (sampled.has(e.eventId) || now < e.t0 + responseAfterMs) continue;
              sampled.add(e.eventId);
              const detail = await eventDetail(s, e.eventId);
              if (detail) ph.responses.push(detail.fulfillment.responseKw / Math.max(1e-9, detail.fulfillment.targetKw));
            }
          }
        }
        await sleep(100);
      }
    })();

    const ctx: FaultContext = {
      sys: s, codec, progress: o.progress,
      writer: async () => (writer ??= await openTopicWriter({ kafka: k, codec, lanes: 2 })),
      mark: (label) => {
        current?.marks.push({ atMs: Date.now(), label });
        o.progress(`  ${current?.name ?? ''}: ${label}`);
      },
    };
    const runPhase = async (name: string, analytics: boolean, body: () => Promise<void>): Promise<void> => {
      const phase: PhaseState = { name, analytics, startMs: Date.now(), endMs: 0, events: [], refused: 0, refusals: new Map(), ackLatencyMs: [], marks: [], responses: [] };
      phases.push(phase);
      current = phase;
      o.progress(`phase ${name}...`);
      await body();
      phase.endMs = Date.now();
    };
    // Warm-up (not measured): the first dispatches pay for JIT and connection set-up everywhere.
    await runPhase('warm-up', false, () => sleep(Math.min(o.phaseMs, 30_000)));
    phases.pop();
    await runPhase('baseline', false, () => sleep(o.phaseMs));
    for (const f of o.faults) await runPhase(f.name, f.analytics, () => f.run(ctx, o.phaseMs));
    await runPhase('recovery', false, () => sleep(o.phaseMs));
    current = undefined;
    await Promise.all([...inflight]);

    // Let every event's window end (its unanswered commands expire), and every delivery arrive.
    o.progress('waiting for the last events to end...');
    await sleep(eventMs + 2_000);
    stop = true;
    await driver;
    ledger.add((await s.drain()).commands);

    const ackCounts = new Map<string, number>();
    for (const ph of phases) {
      for (const e of ph.events) {
        const d = await eventDetail(s, e.eventId);
        const c = d?.fulfillment.commands ?? {};
        const issuedN = c['issued'] ?? 0;
        ackCounts.set(e.eventId, issuedN > 0 ? ((c['accepted'] ?? 0) + (c['completed'] ?? 0) + (c['rejected'] ?? 0)) / issuedN : NaN);
      }
    }
    const reconciliation = await reconcileRun({ sys: s, kafka: k, codec, startOffsets: offsets0, tag: o.tag, ledger, progress: o.progress, catchUpMs: o.catchUpMs ?? 300_000 });
    const results = summarize(phases, ledger, ackCounts);
    writeTimeline(join(s.logDir, 'isolation-events.jsonl'), phases, ledger);
    const worst = Math.max(1, ...results.filter((r) => r.analytics && Number.isFinite(r.p99Ratio)).map((r) => r.p99Ratio));
    const analyticsOk = results.filter((r) => r.analytics).every((r) => r.pass === true);
    const restarts = Object.fromEntries(s.handles.filter((h) => h.restarts() > 0).map((h) => [h.name, h.restarts()]));
    return { restarts, phases: results, reconciliation, pass: analyticsOk && reconciliation.exact && reconciliation.negativeControlFailed, worstControlP99Ratio: Number(worst.toFixed(3)), sites: o.sites };
  } finally {
    await writer?.close().catch(() => undefined);
    await sys?.dispose();
  }
};

/**
 * One line per phase mark and per event (its time into the phase, control's answer time, and its
 * deliveries' p50 and max) in the system's log folder, kept with GRIDFLEET_KEEP_SYSTEM_LOGS=1: a
 * slow phase's tail can be placed against what the fault was doing at the time.
 */
const writeTimeline = (file: string, phases: readonly PhaseState[], ledger: ReturnType<typeof createCommandLedger>): void => {
  const lines = phases.flatMap((p) => [
    ...p.marks.map((m) => ({ phase: p.name, atSec: (m.atMs - p.startMs) / 1000, mark: m.label })),
    ...p.events.map((e) => {
      const d = ledger.deliveries(e);
      return { phase: p.name, atSec: (e.t0 - p.startMs) / 1000, eventId: e.eventId, requestMs: e.requestMs, sites: e.sites, delivered: d.length, p50Ms: quantile(d, 0.5), maxMs: d.at(-1) ?? null };
    }),
  ].sort((a, b) => a.atSec - b.atSec));
  writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
};

const summarize = (phases: readonly PhaseState[], ledger: ReturnType<typeof createCommandLedger>, ackRates: ReadonlyMap<string, number>): PhaseResult[] => {
  const base = phases[0];
  const latencies = (p: PhaseState): number[] => p.events.flatMap((e) => ledger.deliveries(e)).sort((a, b) => a - b);
  const baseP99 = base ? quantile(latencies(base), 0.99) : NaN;
  return phases.map((p) => {
    const l = latencies(p);
    const targeted = p.events.reduce((a, e) => a + e.sites, 0);
    const delivered = p.events.reduce((a, e) => a + Math.min(e.sites, ledger.deliveries(e).length), 0);
    const p99 = quantile(l, 0.99);
    const ratio = p99 / baseP99;
    const rates = p.events.map((e) => ackRates.get(e.eventId) ?? NaN).filter(Number.isFinite);
    const acks = [...p.ackLatencyMs].sort((a, b) => a - b);
    let recoveryMs: number | undefined;
    const down = p.marks.find((m) => m.label === 'broker down');
    if (down) {
      const first = phases.flatMap((x) => x.events).filter((e) => e.t0 > down.atMs && ledger.deliveries(e).length >= e.sites).sort((a, b) => a.t0 - b.t0)[0];
      if (first) recoveryMs = first.t0 + (ledger.deliveries(first).at(-1) ?? 0) - down.atMs;
    }
    const lost = targeted - delivered;
    return {
      name: p.name, analytics: p.analytics, events: p.events.length, targeted, delivered, lost, refused: p.refused, refusals: Object.fromEntries(p.refusals),
      p50Ms: quantile(l, 0.5), p99Ms: p99, maxMs: l.at(-1) ?? NaN, p99Ratio: ratio,
      ackRate: rates.length > 0 ? rates.reduce((a, b) => a + b, 0) / rates.length : NaN,
      responseShare: p.responses.length > 0 ? quantile([...p.responses].sort((a, b) => a - b), 0.5) : NaN,
      gatewayAckP99Ms: quantile(acks, 0.99),
      marks: p.marks.map((m) => `+${((m.atMs - p.startMs) / 1000).toFixed(0)}s ${m.label}`),
      ...(recoveryMs === undefined ? {} : { recoveryMs }),
      pass: p.analytics ? ratio <= RATIO_LIMIT && lost === 0 && p.refused === 0 && p.events.length > 0 : null,
    };
  });
};
