/**
 * `npm run bench -- isolation [--sites=10000] [--phaseSec=120] [--telemetrySec=20] [--eventEverySec=5] [--sitesPerFeeder=200] [--faults=a,b,...] [--logLevels=ingest:info]`
 *
 * Proves the platform's central promise under fire: analytics can never block control, and
 * nothing is lost. The whole platform runs as processes on its own stack (port base 25000, below the
 * ephemeral port range: Kafka 25092, registry 25081, ClickHouse 25123, Redis 25079, gateways
 * 25100+, assets 25200+, control 25300, ingest 25400, forecast worker metrics 25500) with a simulated fleet sending telemetry at a steady rate and an operator
 * dispatching from the next feeder every few seconds. A baseline phase, one phase per fault
 * (bench/_isolation-faults.ts, injected for real), a recovery phase; then the reconciliation and
 * its negative control (bench/_isolation-checks.ts).
 *
 * Pass rule: in every analytics fault phase control's dispatch-to-delivered p99 stays within
 * 1.25x of the baseline's and no command is lost or refused; after recovery the reconciliation is
 * exact, and the negative control caught every planted fault.
 */
import { isolationFaults } from './_isolation-faults.ts';
import { forecastFaults, forecastServiceAvailable, forecastWorker } from './_isolation-forecast.ts';
import { runIsolation, type PhaseResult } from './_isolation-run.ts';
import type { Benchmark, Metric } from './types.ts';

const PORT_BASE = 25000;

const f0 = (x: number | undefined): string => (x !== undefined && Number.isFinite(x) ? x.toFixed(0) : '-');
const f2 = (x: number | undefined): string => (x !== undefined && Number.isFinite(x) ? x.toFixed(2) : '-');

export const phaseRow = (p: PhaseResult): [string, string, string] => [
  `${p.name}${p.analytics ? ' (analytics)' : ''}`,
  `p50 ${f0(p.p50Ms)} p99 ${f0(p.p99Ms)} max ${f0(p.maxMs)} ms | x${f2(p.p99Ratio)}`,
  `events ${p.events}, delivered ${p.delivered}/${p.targeted}, lost ${p.lost}, refused ${p.refused}${p.refused > 0 ? ` ${JSON.stringify(p.refusals)}` : ''}, acked ${f2(p.ackRate)}, response/target ${f2(p.responseShare)}, gateway ack p99 ${f0(p.gatewayAckP99Ms)} ms`
    + `${p.recoveryMs === undefined ? '' : `, recovered in ${(p.recoveryMs / 1000).toFixed(1)} s`}${p.pass === null ? '' : p.pass ? ' PASS' : ' FAIL'}${p.marks.length > 0 ? ` [${p.marks.join('; ')}]` : ''}`,
];

const camel = (name: string): string => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

const bench: Benchmark = {
  name: 'isolation',
  description: 'control under analytics faults (and two operational ones) against a baseline, then an exact reconciliation',
  async run({ options, progress }) {
    const sites = Number(options['sites'] ?? 10_000);
    const phaseSec = Number(options['phaseSec'] ?? 120);
    const telemetrySec = Number(options['telemetrySec'] ?? Math.max(5, Math.round(sites / 500)));
    const eventEverySec = Number(options['eventEverySec'] ?? 5);
    const sitesPerFeeder = Number(options['sitesPerFeeder'] ?? 200);
    const all = isolationFaults(forecastFaults(PORT_BASE + 500));
    const wanted = options['faults']?.split(',').filter((x) => x !== '');
    const faults = wanted ? all.filter((f) => wanted.includes(f.name)) : all;
    // --logLevels=ingest:info,gateway:debug raises a service's log level (logs kept with GRIDFLEET_KEEP_SYSTEM_LOGS=1).
    const logLevels = Object.fromEntries((options['logLevels'] ?? '').split(',').filter((x) => x.includes(':')).map((x) => x.split(':') as [string, string]));
    const r = await runIsolation({
      logLevels,
      onSystem: (sys) => {
        if (forecastServiceAvailable()) forecastWorker(sys, PORT_BASE + 500);
        return Promise.resolve();
      },
      stack: { portBase: PORT_BASE }, servicePortBase: PORT_BASE, tag: `iso${Date.now().toString(36)}`, sites, sitesPerFeeder,
      phaseMs: phaseSec * 1000, telemetryMs: telemetrySec * 1000, eventEveryMs: eventEverySec * 1000, faults, progress,
    });
    const rec = r.reconciliation;
    const perPhase: Record<string, Metric> = {};
    for (const p of r.phases) {
      const k = camel(p.name);
      perPhase[`${k}P99Ms`] = Math.round(p.p99Ms);
      perPhase[`${k}P99Ratio`] = Number.isFinite(p.p99Ratio) ? Number(p.p99Ratio.toFixed(3)) : -1;
      perPhase[`${k}Lost`] = p.lost;
      perPhase[`${k}Refused`] = p.refused;
      if (p.pass !== null) perPhase[`${k}Pass`] = p.pass;
      if (p.recoveryMs !== undefined) perPhase[`${k}RecoveryMs`] = Math.round(p.recoveryMs);
    }
    return {
      rows: [
        ['phase', 'dispatch request -> command delivered | p99 / baseline', 'what else'],
        ...r.phases.map(phaseRow),
        ['reconciliation', rec.exact ? 'exact' : 'NOT exact', `${rec.framesAcknowledged} frames acknowledged, ${rec.framesInKafkaWindow} in telemetry.v1; ${rec.commands} commands: ${rec.commandsAcknowledged} acknowledged, ${rec.commandsExpired} expired ${JSON.stringify(rec.expiredReasons)}`],
        ...rec.problems.map((p): [string, string] => ['  problem', p]),
        ['negative control', rec.negativeControlFailed ? 'every planted fault caught' : 'MISSED a planted fault', JSON.stringify(rec.negativeControl)],
        ['services restarted by the supervisor', Object.keys(r.restarts).length === 0 ? 'none' : JSON.stringify(r.restarts), 'a service that exits on its own is started again after 2 s'],
        ['pass rule', r.pass ? 'PASS' : 'FAIL', `analytics phases: control p99 <= 1.25x baseline, nothing lost or refused; reconciliation exact (worst ratio ${r.worstControlP99Ratio})`],
      ],
      metrics: { pass: r.pass, worstControlP99Ratio: r.worstControlP99Ratio, reconciliationExact: rec.exact, negativeControlFailed: rec.negativeControlFailed, ...perPhase },
      parameters: { sites, phaseSec, telemetrySec, eventEverySec, sitesPerFeeder, faults: faults.map((f) => f.name).join(',') },
    };
  },
};

export default bench;
