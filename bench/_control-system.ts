/**
 * The whole platform as real processes on one port range, for `npm run bench -- control` and
 * `isolation` and the CI-sized isolation test: a stack of its own (startBenchStack), gateways,
 * asset actor instances, control, optionally the ingest tier, a fleet planned by
 * services/edge/simulator/provision-plan.ts and provisioned through the gateway's operator API, and device
 * worker processes (bench/_control-devices.ts) that keep telemetry flowing and record deliveries.
 *
 * Ports: a fresh stack at portBase+92 (Kafka), +93, +81 (registry), +23 (ClickHouse), +79 (Redis),
 * or a running stack given by its environment; services from servicePortBase: gateways +100...,
 * assets +200..., control +300, ingest metrics +400. Every service is a handle that can be killed
 * with a real signal and started again.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PartName } from '../services/embedded/stack/layout.ts';
import { REPO_ROOT } from '../services/embedded/stack/layout.ts';
import { waitUntil } from '../services/embedded/stack/processes.ts';
import { fleetAssetDefinitions, planFleet, type FleetPlan } from '../services/edge/simulator/provision-plan.ts';
import { provisionFleet } from '../services/edge/simulator/provision.ts';
import { parseConfig } from '../services/platform/config.ts';
import { createLogger } from '../services/platform/logger.ts';
import { createStack, lowerPriority } from '../services/embedded/stack/stack.ts';
import { BENCH_OPERATOR, nextMessage, startBenchStackOn, type BenchStack } from './_harness.ts';
import type { CommandSeen, ControlDevicesCmd, ControlDevicesMsg, DeviceFinal, WorkerCounters, WorkerDevice } from './_control-devices.ts';

export const CONTROL_OPERATOR_TOKEN = 'bench-control-operator';

/** Services of the analytics tier, by name prefix: started at ANALYTICS_NICE (services/embedded/stack/stack.ts). */
const ANALYTICS = ['ingest', 'forecast'];

export interface ServiceHandle {
  readonly name: string;
  readonly url: string;
  proc(): ChildProcess;
  start(): ChildProcess;
  /** Sends the signal and waits (up to 15 s) until the process is gone. */
  kill(signal: NodeJS.Signals): Promise<void>;
  alive(): boolean;
  /** Times the supervisor started it again after it exited on its own (as systemd's Restart=always would). */
  restarts(): number;
  logTail(chars?: number): string;
}

export interface SystemOptions {
  /** A fresh stack on ports from portBase (Kafka base+92, its controller base+93, registry base+81, ClickHouse base+23, Redis base+79), or a running one. */
  readonly stack: { readonly portBase: number } | { readonly env: Record<string, string> };
  /** Gateways servicePortBase+100..., assets +200..., control +300, ingest metrics +400. */
  readonly servicePortBase: number;
  /** Prefix of every asset id of the fleet (its fleet is `<tag>-fleet`), so runs on a shared stack never meet; empty: ids as planned, fleet `fleet`. */
  readonly tag?: string;
  readonly sites: number;
  /** Sites per feeder in the plan (default 200, planFleet's). */
  readonly sitesPerFeeder?: number;
  readonly parts: readonly PartName[];
  readonly gateways?: number;
  readonly assetsInstances?: number;
  /** Control instances (default 1); with 2, one leads and one stands by (ports +300, +301). */
  readonly controlInstances?: number;
  readonly ingest?: boolean;
  readonly workers?: number;
  /** Real milliseconds between two frames of one device. */
  readonly telemetryMs: number;
  readonly env?: Record<string, string>;
  /** LOG_LEVEL per service name prefix (gateway, assets, control, ingest) for a diagnosis; default warn. */
  readonly logLevels?: Readonly<Record<string, string>>;
  /** Runs once the services are up and provisioned, before any device connects (e.g. to take the topics' offsets). */
  readonly beforeDevices?: (stack: BenchStack) => Promise<void>;
  readonly progress: (line: string) => void;
}

export interface System {
  readonly bench: BenchStack;
  readonly plan: FleetPlan;
  readonly fleetId: string;
  readonly gateways: ServiceHandle[];
  readonly assets: ServiceHandle[];
  readonly control: ServiceHandle;
  /** Every control instance (control is the first). */
  readonly controls: readonly ServiceHandle[];
  /** The control instance whose /healthz says it leads, if any answers so. */
  leader(): Promise<ServiceHandle | undefined>;
  readonly ingest: ServiceHandle | undefined;
  readonly workers: ChildProcess[];
  /** Every service process handle, including ones started later through `service`. */
  readonly handles: readonly ServiceHandle[];
  readonly logDir: string;
  /** Starts a service process of the platform on the system's stack, logging to the log folder. */
  service(name: string, entry: string, port: number, env: Record<string, string>, args?: readonly string[]): ServiceHandle;
  /** Everything the device workers saw since the last drain. */
  drain(): Promise<{ ackLatencyMs: number[]; commands: CommandSeen[]; counters: WorkerCounters }>;
  /** How many commands the device workers saw since the last drain: a few bytes over IPC, cheap enough to ask while a round is in flight. */
  commandsSinceDrain(): Promise<number>;
  /** Stops new measurements and waits until every device's frames are acknowledged (or timeoutMs). */
  quiesce(timeoutMs: number): Promise<number>;
  finals(): Promise<{ devices: DeviceFinal[]; counters: WorkerCounters }>;
  fleetAggregate(): Promise<Record<string, number> | null>;
  controlApi<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }>;
  dispose(): Promise<void>;
}

const sumCounters = (all: readonly WorkerCounters[]): WorkerCounters => {
  const out: WorkerCounters = { sent: 0, accepted: 0, unavailable: 0, rejected: 0, replayed: 0, reconnects: 0, buffered: 0, connected: 0 };
  for (const c of all) for (const k of Object.keys(out) as Array<keyof WorkerCounters>) out[k] += c[k];
  return out;
};

/** The plan with every hierarchy id prefixed by `tag-` (weather cells and customers stay). */
export const tagPlan = (plan: FleetPlan, tag: string): FleetPlan => {
  if (tag === '') return plan;
  const t = (id: string): string => `${tag}-${id}`;
  return {
    ...plan,
    regions: plan.regions.map((r) => ({ ...r, regionId: t(r.regionId) })),
    substations: plan.substations.map((s) => ({ ...s, substationId: t(s.substationId), regionId: t(s.regionId) })),
    feeders: plan.feeders.map((f) => ({ ...f, feederId: t(f.feederId), substationId: t(f.substationId), regionId: t(f.regionId) })),
    sites: plan.sites.map((s) => ({ ...s, siteId: t(s.siteId), deviceId: t(s.deviceId), regionId: t(s.regionId), substationId: t(s.substationId), feederId: t(s.feederId) })),
  };
};

const openStack = async (o: SystemOptions): Promise<BenchStack> => {
  if ('portBase' in o.stack) {
    const b = o.stack.portBase;
    return startBenchStackOn({ kafka: b + 92, kafkaController: b + 93, registry: b + 81, clickhouse: b + 23, redis: b + 79 }, o.parts);
  }
  const env = o.stack.env;
  const config = parseConfig(env);
  const stack = createStack(config, createLogger('warn'));
  await stack.up(o.parts);
  return { env, config, stack, dispose: () => Promise.resolve() };
};

const ask = <T extends ControlDevicesMsg['type']>(w: ChildProcess, cmd: ControlDevicesCmd, reply: T): Promise<Extract<ControlDevicesMsg, { type: T }>> => {
  const p = nextMessage<ControlDevicesMsg, T>(w, reply);
  w.send(cmd);
  return p;
};

export const startSystem = async (o: SystemOptions): Promise<System> => {
  const logDir = mkdtempSync(join(tmpdir(), 'gridfleet-system-'));
  const handles: ServiceHandle[] = [];
  const workers: ChildProcess[] = [];
  let disposing = false;
  let bench: BenchStack | undefined;
  const logLevelOf = (name: string): Record<string, string> => {
    const level = Object.entries(o.logLevels ?? {}).find(([k]) => name.startsWith(k))?.[1];
    return level === undefined ? {} : { LOG_LEVEL: level };
  };
  // BENCH_NODE_FLAGS: extra node flags (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", not allowed in
  // NODE_OPTIONS) for the services whose names start with one of BENCH_NODE_FLAGS_FOR (comma list; all when unset).
  const nodeFlagsFor = (name: string): string[] => {
    const flags = (process.env['BENCH_NODE_FLAGS'] ?? '').split(' ').filter((f) => f !== '');
    const only = (process.env['BENCH_NODE_FLAGS_FOR'] ?? '').split(',').filter((f) => f !== '');
    return only.length === 0 || only.some((p) => name.startsWith(p)) ? flags : [];
  };
  const service = (name: string, entry: string, port: number, env: Record<string, string>, args: readonly string[] = []): ServiceHandle => {
    let child: ChildProcess | undefined;
    let restarts = 0;
    let stopped = false;
    const logFile = join(logDir, `${name}.log`);
    const h: ServiceHandle = {
      name, url: `http://127.0.0.1:${port}`,
      proc: () => {
        if (!child) throw new Error(`${name} not started`);
        return child;
      },
      start: () => {
        const log = openSync(logFile, 'a');
        stopped = false;
        const c = spawn(process.execPath, [...nodeFlagsFor(name), '--import', 'tsx', join(REPO_ROOT, entry), ...args], {
          cwd: REPO_ROOT, env: { ...process.env, ...bench?.env, ...o.env, ...env, ...logLevelOf(name) }, stdio: ['ignore', log, log],
        });
        child = c;
        // The analytics tier runs at a lower CPU priority than the operational tier, as it would in
        // a cgroup or on hosts of its own: on shared cores it must never win over control.
        if (ANALYTICS.some((a) => name.startsWith(a)) && c.pid !== undefined) lowerPriority(c.pid);
        // A service that exits on its own (e.g. it could not reach Kafka at start) is started again
        // after a pause, as a process supervisor does in production; a kill through the handle is not.
        c.once('exit', () => {
          if (stopped || child !== c || disposing) return;
          setTimeout(() => {
            if (stopped || child !== c || disposing) return;
            restarts++;
            h.start();
          }, 2_000);
        });
        return c;
      },
      restarts: () => restarts,
      kill: async (signal) => {
        stopped = true;
        const c = child;
        if (!c || c.exitCode !== null || c.signalCode !== null) return;
        c.kill(signal);
        await waitUntil(() => Promise.resolve(c.exitCode !== null || c.signalCode !== null), 15_000, 50);
        if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      },
      alive: () => child !== undefined && child.exitCode === null && child.signalCode === null,
      logTail: (chars = 2000) => {
        try {
          return readFileSync(logFile, 'utf8').slice(-chars);
        } catch {
          return '';
        }
      },
    };
    handles.push(h);
    return h;
  };
  const healthy = async (h: ServiceHandle, path: string, timeoutMs: number): Promise<void> => {
    const ok = await waitUntil(async () => h.alive() && (await fetch(`${h.url}${path}`)).ok, timeoutMs, 250);
    if (!ok) throw new Error(`${h.name} did not become healthy at ${h.url}${path}:\n${h.logTail()}`);
  };
  try {
    o.progress(`starting the stack (${o.parts.join(', ')})...`);
    bench = await openStack(o);
    const sp = o.servicePortBase;
    const tag = o.tag ?? '';
    const fleetId = tag === '' ? 'fleet' : `${tag}-fleet`;
    const gatewayCount = o.gateways ?? Math.max(1, Math.ceil(o.sites / 18_000));
    const gateways = Array.from({ length: gatewayCount }, (_, i) => service(`gateway-${i}`, 'services/operational/gateway/main.ts', sp + 100 + i, {
      GATEWAY_PORT: String(sp + 100 + i), GATEWAY_INSTANCE_ID: `sys-gw-${sp}-${i}`, OPERATOR_TOKEN: BENCH_OPERATOR, GATEWAY_MAX_PENDING: '200000',
    }));
    for (const g of gateways) g.start();
    for (const g of gateways) await healthy(g, '/healthz', 120_000);
    const assets = Array.from({ length: o.assetsInstances ?? 2 }, (_, i) => service(`assets-${i}`, 'services/operational/assets/main.ts', sp + 200 + i, {
      ASSETS_PORT: String(sp + 200 + i), ASSETS_INSTANCE_ID: `sys-assets-${sp}-${i}`, ASSETS_SESSION_TIMEOUT_MS: '10000',
    }));
    for (const a of assets) a.start();
    const controls = Array.from({ length: o.controlInstances ?? 1 }, (_, i) => service(i === 0 ? 'control' : `control-${i}`, 'services/operational/control/main.ts', sp + 300 + i, {
      CONTROL_PORT: String(sp + 300 + i), CONTROL_INSTANCE_ID: `sys-control-${sp}-${i}`, CONTROL_LEADER_GROUP: `sys-control-leader-${sp}-${tag}`,
      CONTROL_TOKENS: `operator:${CONTROL_OPERATOR_TOKEN}:bench,viewer:bench-control-viewer`,
    }));
    const control = controls[0] as ServiceHandle;
    for (const c of controls) c.start();
    const ingest = o.ingest ? service('ingest', 'services/analytics/ingest/main.ts', sp + 400, { INGEST_METRICS_PORT: String(sp + 400) }) : undefined;
    ingest?.start();

    const plan = tagPlan(planFleet({ seed: 1, sites: o.sites, ...(o.sitesPerFeeder === undefined ? {} : { sitesPerFeeder: o.sitesPerFeeder }) }), tag);
    o.progress(`provisioning ${o.sites} sites through the operator API...`);
    const credentials = await provisionFleet({ gatewayUrl: gateways[0]?.url ?? '', operatorToken: BENCH_OPERATOR, assets: fleetAssetDefinitions(plan, Date.now(), fleetId) });
    for (const g of gateways) {
      const ok = await waitUntil(async () => ((await (await fetch(`${g.url}/healthz`)).json()) as { devices: number }).devices >= o.sites, 600_000, 1000);
      if (!ok) throw new Error(`${g.name} did not learn every device`);
    }
    for (const a of assets) await healthy(a, '/healthz', 300_000);
    for (const c of controls) await healthy(c, '/healthz', 300_000);

    await o.beforeDevices?.(bench);
    const workerCount = o.workers ?? Math.max(2, Math.ceil(o.sites / 18_000));
    const devices: WorkerDevice[] = plan.sites.map((s, i) => ({
      url: gateways[i % gateways.length]?.url ?? '', token: credentials[s.deviceId] ?? '', deviceId: s.deviceId, siteId: s.siteId,
      maxChargeKw: s.maxChargeKw, maxDischargeKw: s.maxDischargeKw, batteryKwh: s.batteryKwh, solarKwp: s.solarKwp,
    }));
    o.progress(`connecting ${devices.length} devices from ${workerCount} processes (a frame every ${o.telemetryMs / 1000} s each)...`);
    for (let i = 0; i < workerCount; i++) {
      const w = fork(join(REPO_ROOT, 'bench/_control-devices.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      workers.push(w);
      await nextMessage<ControlDevicesMsg, 'ready'>(w, 'ready');
    }
    const started = await Promise.all(workers.map((w, i) => ask(w, { cmd: 'start', devices: devices.filter((_, k) => k % workerCount === i), telemetryMs: o.telemetryMs }, 'started')));
    o.progress(`${started.reduce((a, s) => a + s.connected, 0)} devices connected`);

    const stackBench = bench;
    const sys: System = {
      bench: stackBench, plan, fleetId, gateways, assets, control, controls, ingest, workers, handles, logDir, service,
      leader: () => leaderOf(controls),
      async drain() {
        const all = await Promise.all(workers.map((w) => ask(w, { cmd: 'drain' }, 'drained')));
        return { ackLatencyMs: all.flatMap((a) => a.ackLatencyMs), commands: all.flatMap((a) => a.commands), counters: sumCounters(all.map((a) => a.counters)) };
      },
      async commandsSinceDrain() {
        return (await Promise.all(workers.map((w) => ask(w, { cmd: 'count' }, 'counted')))).reduce((a, c) => a + c.commands, 0);
      },
      async quiesce(timeoutMs) {
        await Promise.all(workers.map((w) => ask(w, { cmd: 'quiesce' }, 'quiet')));
        let buffered = Number.POSITIVE_INFINITY;
        await waitUntil(async () => {
          buffered = (await Promise.all(workers.map((w) => ask(w, { cmd: 'quiesce' }, 'quiet')))).reduce((a, q) => a + q.buffered, 0);
          return buffered === 0;
        }, timeoutMs, 500);
        return buffered;
      },
      async finals() {
        const all = await Promise.all(workers.map((w) => ask(w, { cmd: 'final' }, 'final')));
        return { devices: all.flatMap((a) => a.devices), counters: sumCounters(all.map((a) => a.counters)) };
      },
      async fleetAggregate() {
        for (const a of assets) {
          if (!a.alive()) continue;
          try {
            const res = await fetch(`${a.url}/v1/assets/${fleetId}`, { headers: { authorization: 'Bearer dev-viewer-token' } });
            if (res.ok) return ((await res.json()) as { aggregate: Record<string, number> | null }).aggregate;
          } catch {
            /* the next instance answers too */
          }
        }
        return null;
      },
      async controlApi<T>(method: 'GET' | 'POST', path: string, body?: unknown) {
        const to = (await leaderOf(controls)) ?? control;
        const res = await fetch(`${to.url}${path}`, {
          method, headers: { authorization: `Bearer ${CONTROL_OPERATOR_TOKEN}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await res.text();
        return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
      },
      async dispose() {
        disposing = true;
        for (const w of workers) {
          if (w.exitCode === null) w.send({ cmd: 'exit' } satisfies ControlDevicesCmd);
        }
        await waitUntil(() => Promise.resolve(workers.every((w) => w.exitCode !== null || w.signalCode !== null)), 5_000, 100);
        for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
        await Promise.all(handles.map((h) => h.kill('SIGTERM')));
        await stackBench.dispose();
        if (process.env['GRIDFLEET_KEEP_SYSTEM_LOGS'] === '1') process.stderr.write(`service logs kept in ${logDir}\n`);
        else rmSync(logDir, { recursive: true, force: true });
      },
    };
    return sys;
  } catch (e) {
    disposing = true;
    for (const w of workers) w.kill('SIGKILL');
    await Promise.all(handles.map((h) => h.kill('SIGKILL')));
    await bench?.dispose();
    process.stderr.write(`service logs in ${logDir}\n`);
    throw e;
  }
};

/** The control instance that says it leads (GET /healthz, role). */
export const leaderOf = async (controls: readonly ServiceHandle[]): Promise<ServiceHandle | undefined> => {
  for (const c of controls) {
    if (!c.alive()) continue;
    try {
      const res = await fetch(`${c.url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (((await res.json()) as { role?: string }).role === 'leader') return c;
    } catch {
      /* down or busy: ask the next */
    }
  }
  return undefined;
};

/** Waits until the asset actors count every site online (what control allocates from); returns how many they count. */
export const waitFleetOnline = async (sys: System, sites: number, timeoutMs: number, progress: (l: string) => void): Promise<number> => {
  let last = -1;
  let lastPrinted = 0;
  await waitUntil(async () => {
    const a = await sys.fleetAggregate();
    const online = a?.['onlineCount'] ?? 0;
    if (online !== last && Date.now() - lastPrinted > 10_000) {
      progress(`asset actors see ${online}/${sites} sites online`);
      lastPrinted = Date.now();
    }
    last = online;
    return online >= sites;
  }, timeoutMs, 2_000);
  return last;
};
