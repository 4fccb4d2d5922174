/**
 * `npm run bench -- control [--sites=10000] [--rounds=3] [--telemetrySec=20] [--gateways=N] [--workers=N] [--assets=true] [--assetsEvents=100000] [--maxMinutes=120] [--failover=false]`
 *
 * With --failover=true two control instances run; after the rounds one more dispatch goes to the
 * leader, which is SIGKILLed while it writes the commands (--killAfterMs, default 150 ms after the
 * request). Reported: controlFailoverMs (SIGKILL to the standby saying it leads on /healthz) and
 * whether every targeted site got exactly one command of that dispatch (failoverDuplicateCommands).
 *
 * Time from an operator's dispatch request (POST /v1/events on control's API) to the commands
 * delivered to 50 %, 99 % and 100 % of the targeted connected devices, with the fleet's telemetry
 * flowing at the same time through the gateways and two asset actor instances (control allocates
 * from what they publish). Each round dispatches from the whole fleet, waits until every targeted
 * device has its command, reads the measured response and cancels. Then the asset actors'
 * throughput with 1 and 2 instances, measured by `npm run bench -- assets` (its own run, called
 * from here, on its own ports 22000+).
 *
 * Runs on port base 24000 (Kafka 24092, registry 24081, gateways 24100+, assets 24200+, control
 * 24300): below Linux's ephemeral port range (32768-60999), which a fleet of 100k client sockets
 * fills, so no outgoing connection can take a port the system is about to listen on. Above
 * ~18,000 sites the devices are spread over several gateways and client processes: a process may
 * hold at most `ulimit -n` (20,000 here) sockets.
 */
import assetsBench from './assets.ts';
import { dispatch, eventDetail, createCommandLedger, type IssuedEvent } from './_control-dispatch.ts';
import { CONTROL_OPERATOR_TOKEN, startSystem, waitFleetOnline, type System } from './_control-system.ts';
import { cpuSec, quantile } from './_harness.ts';
import type { Benchmark } from './types.ts';

const PORT_BASE = 24000;

interface Round { event: IssuedEvent; p50: number; p99: number; all: number; delivered: number; responseKw: number; gatewayCpuSec: number }

/** One more dispatch, its leader SIGKILLed while writing the commands; the standby must finish it. */
const failoverRound = async (sys: System, ledger: ReturnType<typeof createCommandLedger>, sites: number, killAfterMs: number, progress: (l: string) => void): Promise<Record<string, number>> => {
  const leader = await sys.leader();
  const standby = sys.controls.find((c) => c !== leader && c.alive());
  if (leader === undefined || standby === undefined) throw new Error('failover: no leader and standby pair');
  const t0 = Date.now();
  const body = { kind: 'VPP_DISPATCH', scopeAssetId: sys.fleetId, targetMw: Math.round((sites * 2.5) / 100) / 10, startMs: t0, endMs: t0 + 180_000, reason: 'bench failover' };
  void fetch(`${leader.url}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${CONTROL_OPERATOR_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }).catch(() => undefined);
  await new Promise((r) => setTimeout(r, killAfterMs));
  await leader.kill('SIGKILL');
  const killedAt = Date.now();
  let failoverMs = NaN;
  while (Date.now() - killedAt < 60_000) {
    if ((await sys.leader()) === standby) {
      failoverMs = Date.now() - killedAt;
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  progress(`failover: the standby leads ${failoverMs} ms after the SIGKILL`);
  const list = await sys.controlApi<{ events: Array<{ event: { eventId: string; issuedAtMs: number; reason: string | null }; sites: number }> }>('GET', '/v1/events');
  const ev = list.body.events.find((e) => e.event.reason === 'bench failover');
  if (ev === undefined) return { controlFailoverMs: Math.round(failoverMs), failoverTargetedSites: 0, failoverDeliveredSites: 0, failoverDuplicateCommands: 0 };
  const deadline = Date.now() + 120_000;
  let targeted = 0;
  let got: number[] = [];
  while (Date.now() < deadline) {
    await new Promise((res) => setTimeout(res, 500));
    ledger.add((await sys.drain()).commands);
    targeted = (await eventDetail(sys, ev.event.eventId))?.sites ?? 0;
    got = ledger.deliveries({ eventId: ev.event.eventId, scopeAssetId: sys.fleetId, t0, requestMs: 0, sites: targeted, targetKw: 0, endMs: t0 + 180_000 });
    if (targeted > 0 && got.length >= targeted) break;
  }
  // Two different command ids of this dispatch at one site would be a command issued twice.
  const perSite = new Map<string, Set<string>>();
  for (const c of ledger.seen().values()) {
    if (c.eventId !== ev.event.eventId || c.kind === 'RELEASE') continue;
    const set = perSite.get(c.siteId) ?? new Set<string>();
    set.add(c.commandId);
    perSite.set(c.siteId, set);
  }
  const duplicates = [...perSite.values()].filter((s) => s.size > 1).length;
  await sys.controlApi('POST', `/v1/events/${ev.event.eventId}/cancel`, { reason: 'bench failover over' });
  return {
    controlFailoverMs: Math.round(failoverMs), failoverTargetedSites: targeted, failoverDeliveredSites: got.length,
    failoverDuplicateCommands: duplicates, failoverToP99DeliveredMs: Math.round(quantile(got, 0.99)),
  };
};

const median = (xs: readonly number[]): number => quantile([...xs].sort((a, b) => a - b), 0.5);

const bench: Benchmark = {
  name: 'control',
  description: 'dispatch request to commands delivered at the devices, with telemetry flowing; asset actor throughput',
  async run({ options, progress }) {
    const sites = Number(options['sites'] ?? 10_000);
    const rounds = Number(options['rounds'] ?? 3);
    const telemetrySec = Number(options['telemetrySec'] ?? Math.max(20, Math.round(sites / 1_700)));
    const gateways = Number(options['gateways'] ?? Math.max(1, Math.ceil(sites / 18_000)));
    const workers = Number(options['workers'] ?? Math.max(2, Math.ceil(sites / 18_000)));
    const withAssets = (options['assets'] ?? 'true') !== 'false';
    const failover = options['failover'] === 'true';
    const killAfterMs = Number(options['killAfterMs'] ?? 150);
    let failoverMetrics: Record<string, number> = {};
    const assetsEvents = Number(options['assetsEvents'] ?? 100_000);
    // --maxMinutes: give up waiting for the fleet in time to stop everything cleanly.
    const deadline = Date.now() + Number(options['maxMinutes'] ?? 120) * 60_000;
    let sys: System | undefined;
    const results: Round[] = [];
    let telemetryPerSec: number;
    let ackP99: number;
    try {
      sys = await startSystem({ stack: { portBase: PORT_BASE }, servicePortBase: PORT_BASE, sites, parts: ['kafka', 'registry'], gateways, workers, assetsInstances: 2, controlInstances: failover ? 2 : 1, telemetryMs: telemetrySec * 1000, progress });
      // Control allocates only to sites the asset actors count online; on a busy machine the last few may take a while.
      const online = await waitFleetOnline(sys, sites, Math.min(Math.max(600_000, telemetrySec * 4_000), deadline - Date.now() - 4 * 60_000), progress);
      if (online < sites * 0.98) throw new Error(`the asset actors saw only ${online}/${sites} sites online`);
      const ledger = createCommandLedger();
      const ackLatencyMs: number[] = [];
      const warm = await sys.drain();
      const tWarm = Date.now();
      for (let r = 0; r < rounds; r++) {
        const cpu0 = sys.gateways.reduce((a, g) => a + cpuSec(g.proc().pid), 0);
        // What the workers saw before the round (the last round's releases) is taken now, so the count below is this round's.
        const before = await sys.drain();
        ledger.add(before.commands);
        for (const ms of before.ackLatencyMs) ackLatencyMs.push(ms);
        // Half the fleet's discharge headroom (5 kW a site at most) for three minutes.
        const event = await dispatch(sys, sys.fleetId, Math.round((sites * 2.5) / 100) / 10, 180_000);
        progress(`round ${r + 1}: event ${event.eventId} targets ${event.sites} sites (control answered in ${event.requestMs} ms)`);
        let got: number[] = [];
        const deadline = Date.now() + 120_000;
        while (Date.now() < deadline) {
          await new Promise((res) => setTimeout(res, 250));
          // Devices stamp each command when it arrives; the records are fetched once they are all
          // there, not every 500 ms in the middle of the round (serializing thousands of records
          // over IPC took the device workers and this process off the cores the round needs).
          if (Date.now() < deadline - 1_000 && (await sys.commandsSinceDrain()) < event.sites) continue;
          const d = await sys.drain();
          ledger.add(d.commands);
          // No spread: a drain at 100k sites holds more values than a call may take arguments.
          for (const ms of d.ackLatencyMs) ackLatencyMs.push(ms);
          got = ledger.deliveries(event);
          if (got.length >= event.sites) break;
        }
        const gatewayCpuSec = sys.gateways.reduce((a, g) => a + cpuSec(g.proc().pid), 0) - cpu0;
        progress(`round ${r + 1}: ${got.length}/${event.sites} delivered, p50 ${quantile(got, 0.5)} ms, p99 ${quantile(got, 0.99)} ms, all ${got.length >= event.sites ? got.at(-1) : 'not all'} ms`);
        // The measured response: after two telemetry intervals every device has reported its discharge.
        await new Promise((res) => setTimeout(res, telemetrySec * 2_000 + 5_000));
        const detail = await eventDetail(sys, event.eventId);
        const responseKw = detail?.fulfillment.responseKw ?? NaN;
        progress(`round ${r + 1}: measured response ${responseKw.toFixed(0)} kW of ${event.targetKw} kW; acks ${JSON.stringify(detail?.fulfillment.commands ?? {})}`);
        results.push({ event, p50: quantile(got, 0.5), p99: quantile(got, 0.99), all: got.length >= event.sites ? (got.at(-1) ?? NaN) : NaN, delivered: got.length, responseKw, gatewayCpuSec });
        await sys.controlApi('POST', `/v1/events/${event.eventId}/cancel`, { reason: 'bench round over' });
        await new Promise((res) => setTimeout(res, telemetrySec * 1_000 + 5_000));
      }
      if (failover) failoverMetrics = await failoverRound(sys, ledger, sites, killAfterMs, progress);
      const steady = await sys.drain();
      const seconds = (Date.now() - tWarm) / 1000;
      telemetryPerSec = steady.counters.accepted > 0 ? (steady.counters.accepted - warm.counters.accepted) / seconds : 0;
      for (const ms of steady.ackLatencyMs) ackLatencyMs.push(ms);
      ackP99 = quantile(ackLatencyMs.sort((a, b) => a - b), 0.99);
    } finally {
      await sys?.dispose();
    }
    let assets: Record<string, number | string | boolean> = {};
    let assetsError: string | undefined;
    if (withAssets) {
      progress('asset actors throughput (npm run bench -- assets)...');
      // A failure here must not throw away the dispatch figures measured above.
      try {
        assets = (await assetsBench.run({ options: { sites: String(Math.min(sites, 10_000)), events: String(assetsEvents), instances: '1,2' }, progress })).metrics;
      } catch (e) {
        assetsError = e instanceof Error ? e.message : String(e);
        progress(`asset actors throughput failed: ${assetsError}`);
      }
    }
    const f = (x: number): string => (Number.isFinite(x) ? x.toFixed(0) : 'not all');
    const p50 = median(results.map((r) => r.p50));
    const p99 = median(results.map((r) => r.p99));
    const all = results.every((r) => Number.isFinite(r.all)) ? median(results.map((r) => r.all)) : NaN;
    const targeted = results[0]?.event.sites ?? 0;
    const responseShare = median(results.map((r) => r.responseKw / Math.max(1, r.event.targetKw)));
    return {
      rows: [
        ['targeted connected devices per dispatch', String(targeted), `${rounds} rounds, fleet-wide dispatch, median shown`],
        ...results.map((r, i): [string, string, string] => [`round ${i + 1}: 50 / 99 / 100 % delivered (ms)`, `${f(r.p50)} / ${f(r.p99)} / ${f(r.all)}`, `control answered in ${r.event.requestMs} ms; ${r.delivered} delivered; gateway CPU ${r.gatewayCpuSec.toFixed(1)} s`]),
        ['dispatch to 50 % delivered', `${f(p50)} ms`],
        ['dispatch to 99 % delivered', `${f(p99)} ms`],
        ['dispatch to 100 % delivered', `${f(all)} ms`],
        ...(failover ? [
          ['control failover (SIGKILL of the leader mid-dispatch to the standby leading)', `${f(failoverMetrics['controlFailoverMs'] ?? NaN)} ms`, `killed ${killAfterMs} ms after the request`],
          ['failover dispatch: sites with a command / targeted', `${failoverMetrics['failoverDeliveredSites'] ?? 0} / ${failoverMetrics['failoverTargetedSites'] ?? 0}`, `${failoverMetrics['failoverDuplicateCommands'] ?? 0} sites got two commands; 99 % delivered after ${f(failoverMetrics['failoverToP99DeliveredMs'] ?? NaN)} ms`],
        ] as Array<[string, string, string]> : []),
        ['measured response / target', responseShare.toFixed(2), 'battery kW from asset.state.v1, two telemetry intervals after dispatch'],
        ['telemetry through the gateways meanwhile', `${Math.round(telemetryPerSec)} frames/s`, `gateway ack p99 ${f(ackP99)} ms`],
        ...(assetsError !== undefined ? [['assets', 'failed', assetsError]] as Array<[string, string, string]> : []),
        ...(withAssets && assetsError === undefined ? [
          ['assets: 1 instance', `${String(assets['assetsEventsPerSecOneInstance'])} events/s`, 'npm run bench -- assets'],
          ['assets: 2 instances', `${String(assets['assetsEventsPerSecTwoInstances'])} events/s`, 'same 2 cores: contention, not scale-out'],
        ] as Array<[string, string, string]> : []),
      ],
      metrics: {
        sites, targetedDevices: targeted,
        dispatchToP50DeliveredMs: Math.round(p50), dispatchToP99DeliveredMs: Math.round(p99), dispatchToAllDeliveredMs: Number.isFinite(all) ? Math.round(all) : -1,
        dispatchRequestMs: Math.round(median(results.map((r) => r.event.requestMs))),
        measuredResponseShare: Number(responseShare.toFixed(3)),
        telemetryFramesPerSec: Math.round(telemetryPerSec), gatewayAckP99Ms: Math.round(ackP99),
        assetsEventsPerSec: Number(assets['assetsEventsPerSec'] ?? 0),
        assetsEventsPerSecOneInstance: Number(assets['assetsEventsPerSecOneInstance'] ?? 0),
        assetsEventsPerSecTwoInstances: Number(assets['assetsEventsPerSecTwoInstances'] ?? 0),
        ...failoverMetrics,
      },
      parameters: { rounds, telemetrySec, gateways, workers, assetsEvents: withAssets ? assetsEvents : 0 },
    };
  },
};

export default bench;
