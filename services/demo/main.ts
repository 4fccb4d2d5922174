/**
 * `npm run demo`: the platform end to end on the embedded stack. Starts the stack, the gateway
 * and (when present) the ingest tier as their own processes, provisions a simulated fleet
 * through the gateway's operator API (2,000 sites at 60x by default), runs it in several
 * simulator processes with one connection per device, prints progress, shows a bad frame being
 * refused with its reason, and ends with a summary. The stack keeps running afterwards.
 *
 * `npm run demo -- --secure` runs it on the authenticated backbone (`stack up --secure`): every
 * process it starts gets its own principal's variables from <state>/secrets/<service>.env, and the
 * demo's own ClickHouse reads log in as the stack's user.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { exitIfHelp } from '../platform/cli-help.ts';
import { parseConfig } from '../platform/config.ts';
import { describeError } from '../platform/errors.ts';
import { createLogger } from '../platform/logger.ts';
import { REPO_ROOT } from '../embedded/stack/layout.ts';
import type { BackbonePrincipal } from '../embedded/stack/backbone-acls.ts';
import { waitUntil } from '../embedded/stack/processes.ts';
import { readServiceEnv } from '../embedded/stack/secrets.ts';
import { createStack, lowerPriority } from '../embedded/stack/stack.ts';
import { parseFleetConfig } from '../edge/simulator/fleet-config.ts';
import type { ShardStats } from '../edge/simulator/fleet-runner.ts';
import { fleetAssetDefinitions, planFleet } from '../edge/simulator/provision-plan.ts';
import { provisionFleet, saveCredentials } from '../edge/simulator/provision.ts';
import { forecastSummary } from '../analytics/forecast/demo-summary.ts';
import { parseDemoConfig } from './demo-config.ts';
import { createEvent, eventSummary, gridEventDay } from './grid-event-day.ts';
import { clickhouseRows, demoVerdict, gatewayCounters, printProgress, printSummary, produceP99Ms, type DemoWindow, type GatewayCounters } from './demo-report.ts';

exitIfHelp(process.argv.slice(2), `usage: npm run demo [-- --json]
  Starts the embedded stack (the first run fetches Kafka from Maven Central, about 30 s), the
  gateway, control, the asset actors, ingest and the forecast jobs, provisions a simulated fleet
  through the gateway, runs it and ends with a summary; the stack keeps running afterwards
  (npm run stack -- down stops it).
  --json          end with one JSON line: telemetryAckP99MsWorst, zeroRateWindows, framesAccepted, sites
  --secure        on the authenticated backbone (npm run stack -- up --secure, docs/security.md)
Environment: DEMO_SITES (2000), DEMO_SPEED (60, simulated seconds per second), DEMO_SECONDS (90),
  DEMO_SHARDS, DEMO_POLL_SHARE, DEMO_STEP_SEC, DEMO_ASSETS, DEMO_EVENTS (docs in services/demo/demo-config.ts)`);
const out = (s: string): void => void process.stdout.write(s + '\n');
const demo = parseDemoConfig(process.env);
/** `npm run demo -- --json`: the last line is one JSON object with the run's verdict (demoVerdict). */
const jsonLine = process.argv.includes('--json');
const secure = process.argv.includes('--secure');
const config = parseConfig(process.env);
const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, { service: 'demo' });
const children: ChildProcess[] = [];
const shards: ChildProcess[] = [];

/** A principal's credentials in the secured mode (its env file), nothing otherwise. */
const credentialsOf = (principal: BackbonePrincipal): Record<string, string> =>
  secure ? readServiceEnv(resolve(REPO_ROOT, config.stateDir), principal) : {};

const service = (name: string, principal: BackbonePrincipal, entry: string, env: Record<string, string>, args: string[] = []): ChildProcess => {
  const log = openSync(join(REPO_ROOT, config.stateDir, 'logs', `demo-${name}.log`), 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, entry), ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env, ...credentialsOf(principal) }, stdio: ['ignore', log, log] });
  children.push(child);
  return child;
};

/** The analytics tier yields the CPU to the operational one on shared cores (docs/operations.md). */
const analyticsTier = (child: ChildProcess): void => {
  if (child.pid !== undefined) lowerPriority(child.pid);
};

const main = async (): Promise<void> => {
  out(`gridfleet demo: ${demo.sites} sites at ${demo.speed}x for ${demo.seconds}s (DEMO_SITES, DEMO_SPEED, DEMO_SECONDS to change)`);
  out('starting the embedded stack (the first run fetches Kafka from Maven Central)...');
  const stack = createStack(config, logger, { secure });
  const up = await stack.up();
  out(`  stack up in ${up.seconds.toFixed(1)}s: Kafka 127.0.0.1:${config.ports.kafka}, registry ${config.registryUrl}, ClickHouse ${config.clickhouseUrl}, Redis ${config.redisUrl}`);
  if (secure) out(`  secured: every service below runs as its own principal (${join(config.stateDir, 'secrets')}/<service>.env; ACLs in docs/security.md)`);
  // The demo's own reads run as the stack's ClickHouse user, as they do unsecured (the analyst,
  // readonly=1, may not set the output format settings they use).
  const sql = secure ? readServiceEnv(resolve(REPO_ROOT, config.stateDir), 'admin') : {};
  const chLogin = secure ? { user: sql['SQL_USER'] ?? '', password: sql['SQL_PASSWORD'] ?? '' } : undefined;

  const now = Date.now();
  const gatewayUrl = `http://127.0.0.1:${demo.gatewayPort}`;
  const env: Record<string, string> = {
    SIM_SPEED: String(demo.speed), SIM_START_MS: String(now), SIM_REAL_START_MS: String(now),
    GATEWAY_PORT: String(demo.gatewayPort), GATEWAY_URLS: gatewayUrl, GATEWAY_INSTANCE_ID: 'demo-gw-1',
    FLEET_SITES: String(demo.sites), FLEET_POLL_SHARE: String(demo.pollShare), FLEET_POLL_SEC: '5', FLEET_STEP_SEC: String(demo.stepSec),
  };
  out('starting the gateway...');
  const gateway = service('gateway', 'gateway', 'services/operational/gateway/main.ts', env);
  if (!(await waitUntil(async () => gateway.exitCode === null && (await fetch(`${gatewayUrl}/healthz`)).ok, 60_000))) {
    throw new Error(`the gateway did not start; see ${join(config.stateDir, 'logs', 'demo-gateway.log')}`);
  }
  out(`  gateway ${gatewayUrl} (metrics at ${gatewayUrl}/metrics)`);
  // The operational core: asset actors (a shard each) and control, before the fleet connects.
  const controlUrl = `http://127.0.0.1:${demo.controlPort}`;
  const operatorToken = 'dev-operator-token';
  for (let i = 0; i < demo.assetsInstances; i++) service(`assets-${i}`, 'assets', 'services/operational/assets/main.ts', { ...env, ASSETS_PORT: String(demo.assetsPort + i), ASSETS_INSTANCE_ID: `demo-assets-${i}` });
  const control = service('control', 'control', 'services/operational/control/main.ts', { ...env, CONTROL_PORT: String(demo.controlPort) });
  if (!(await waitUntil(async () => control.exitCode === null && (await fetch(`${controlUrl}/healthz`)).ok, 90_000))) {
    throw new Error(`control did not start; see ${join(config.stateDir, 'logs', 'demo-control.log')}`);
  }
  out(`  asset actors: ${demo.assetsInstances} instances (read API http://127.0.0.1:${demo.assetsPort}/v1/assets/fleet); control ${controlUrl}`);
  const hasIngest = existsSync(join(REPO_ROOT, 'services/analytics/ingest/main.ts'));
  if (hasIngest) {
    analyticsTier(service('ingest', 'ingest', 'services/analytics/ingest/main.ts', env));
    out('  ingest tier started (its own process and consumer group): data lands in ClickHouse while the demo runs');
    // The forecast tier (docs/forecast.md): its own process and Redis queues; site bundles every 10 simulated minutes.
    analyticsTier(service('forecast', 'forecast', 'services/analytics/forecast/cli.ts', { ...env, FORECAST_SITES_EVERY_MIN: '10', FORECAST_WEATHER_EVERY_MIN: '15', FORECAST_EMISSIONS_EVERY_MIN: '15' }, ['start']));
    out('  forecast jobs started (BullMQ schedules on Redis): bundles on fleet.forecasts.v1 every 10 simulated minutes');
  }
  // The operations console (docs/console.md): watch the fleet and dispatch from a browser while the demo runs.
  const consoleUrl = `http://127.0.0.1:${process.env['CONSOLE_PORT'] ?? '8093'}`;
  const consoleProc = service('console', 'console', 'services/console/main.ts', { ...env, CONSOLE_CONTROL_URL: controlUrl, CONSOLE_ASSETS_URL: `http://127.0.0.1:${demo.assetsPort}`, CONSOLE_GATEWAY_URL: gatewayUrl });
  if (await waitUntil(async () => consoleProc.exitCode === null && (await fetch(`${consoleUrl}/healthz`)).ok, 30_000)) {
    out(`  console ${consoleUrl} (sign in with dev-operator-token, or dev-viewer-token to only look)`);
  } else out(`  the console did not start; see ${join(config.stateDir, 'logs', 'demo-console.log')}`);

  const fleetConfig = parseFleetConfig({ ...process.env, ...env });
  const plan = planFleet({ seed: fleetConfig.seed, sites: fleetConfig.sites });
  out(`provisioning ${plan.sites.length} sites in ${plan.regions.length} regions, ${plan.substations.length} substations, ${plan.feeders.length} feeders, ${plan.cells.length} weather cells through the operator API...`);
  const credentials = await provisionFleet({
    gatewayUrl, operatorToken: fleetConfig.operatorToken, assets: fleetAssetDefinitions(plan, Date.now()),
    progress: (done, total) => out(`  ${done} of ${total} assets provisioned (${Math.floor((100 * done) / total)} %)`),
  });
  saveCredentials(fleetConfig.credentialsFile, credentials);
  out(`  ${Object.keys(credentials).length} device credentials issued`);

  const shardStats = new Map<number, ShardStats>();
  for (let i = 0; i < demo.shards; i++) {
    const shard = fork(join(REPO_ROOT, 'services/edge/simulator/main.ts'), ['run'], {
      cwd: REPO_ROOT, execArgv: ['--import', 'tsx'], env: { ...process.env, ...env, ...credentialsOf('simulator'), FLEET_SHARD: `${i}/${demo.shards}`, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    shard.on('message', (m: { type: string; stats: ShardStats }) => {
      if (m.type === 'stats') shardStats.set(i, m.stats);
    });
    children.push(shard);
    shards.push(shard);
  }
  out(`running the fleet in ${demo.shards} simulator processes...\n`);

  const t0 = Date.now();
  let last = { t: t0, accepted: 0 };
  let roguesSent = false;
  let lastCounters: GatewayCounters | undefined;
  const script = demo.events ? gridEventDay(plan, demo.seconds * demo.speed / 60) : [];
  const issued: Array<{ label: string; eventId: string }> = [];
  const windows: DemoWindow[] = [];
  let everOnline = false;
  while (Date.now() - t0 < demo.seconds * 1000) {
    await new Promise((r) => setTimeout(r, 5_000));
    const stats = [...shardStats.values()];
    const accepted = stats.reduce((a, s) => a + s.accepted, 0);
    const rate = ((accepted - last.accepted) / (Date.now() - last.t)) * 1000;
    last = { t: Date.now(), accepted };
    const counters = await gatewayCounters(gatewayUrl);
    const p99 = produceP99Ms(counters, lastCounters);
    everOnline ||= stats.length === demo.shards && stats.reduce((a, s) => a + s.online, 0) >= stats.reduce((a, s) => a + s.devices, 0);
    windows.push({ atMs: Date.now() - t0, framesAccepted: counters.accepted - (lastCounters?.accepted ?? 0), ackP99Ms: p99, fleetOnline: everOnline });
    printProgress(out, stats, rate, counters, p99, hasIngest ? await clickhouseRows(config.clickhouseUrl, chLogin) : null);
    lastCounters = counters;
    for (const e of script.filter((x) => !issued.some((i) => i.label === x.label) && Date.now() - t0 >= x.atFraction * demo.seconds * 1000)) {
      const r = await createEvent(controlUrl, operatorToken, e.body);
      issued.push({ label: e.label, eventId: r.ok ? r.eventId : '' });
      out(r.ok ? `  operator: ${e.label} (event ${r.eventId})` : `  operator: ${e.label} was refused: ${r.error}`);
    }
    if (!roguesSent && Date.now() - t0 > (demo.seconds * 1000) / 2) {
      roguesSent = true;
      const token = credentials[plan.sites[0]?.deviceId ?? ''] ?? '';
      const res = await fetch(`${gatewayUrl}/v1/device/frames`, {
        method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify([{ type: 'telemetry', seq: Number.MAX_SAFE_INTEGER, measuredAtMs: now + (Date.now() - now) * demo.speed, socPct: 250, batteryKw: 99, solarKw: 1, loadKw: 1, gridKw: 0, batteryTempC: 20, mode: 'IDLE', alarms: [], activeCommandId: null }]),
      });
      const r = (await res.json()) as { results?: Array<{ code?: string; message?: string }>; code?: string; message?: string };
      const answer = r.results?.[0] ?? r;
      out(res.ok
        ? `  a bad frame (socPct 250) was refused: ${answer.code}: ${answer.message}; it is in dead.letters.v1, and every other device kept going\n`
        : `  the bad-frame example got ${res.status} ${answer.code}: ${answer.message}\n`);
    }
  }

  out('stopping the fleet...');
  for (const c of shards) c.kill('SIGTERM');
  await waitUntil(() => Promise.resolve(shards.every((c) => c.exitCode !== null)), 20_000);
  printSummary(out, [...shardStats.values()], await gatewayCounters(gatewayUrl), hasIngest ? await clickhouseRows(config.clickhouseUrl, chLogin) : null, (Date.now() - t0) / 1000);
  if (hasIngest) for (const line of await forecastSummary(config.clickhouseUrl, gatewayUrl, now, chLogin)) out(line);
  if (issued.length > 0) {
    out('\ngrid events (target against measured fleet response)');
    for (const i of issued.filter((x) => x.eventId !== '')) out(`  ${i.label}\n    ${await eventSummary(controlUrl, operatorToken, i.eventId)}`);
  }
  gateway.kill('SIGTERM');
  for (const c of children) c.kill('SIGTERM');
  out('\nThe stack keeps running: `npm run stack -- status`; stop it with `npm run stack -- down`.');
  if (jsonLine) {
    const v = demoVerdict(windows);
    const finalStats = [...shardStats.values()];
    out(JSON.stringify({
      telemetryAckP99MsWorst: v.telemetryAckP99MsWorst === null || Number.isFinite(v.telemetryAckP99MsWorst) ? v.telemetryAckP99MsWorst : 'above 5000',
      zeroRateWindows: v.zeroRateWindows, framesAccepted: finalStats.reduce((a, s) => a + s.accepted, 0), sites: demo.sites,
      windows: v.windows, windowSec: 5, speed: demo.speed, seconds: demo.seconds, shards: demo.shards,
    }));
  }
};

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`demo failed: ${describeError(e)}\n`);
    for (const c of children) c.kill('SIGKILL');
    process.exit(1);
  },
);
