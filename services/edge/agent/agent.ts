/**
 * The edge agent each device runs, as a pure state machine: inputs are forecast bundles,
 * commands and measurements with the time they arrive; outputs are a battery setpoint, the
 * operating mode and acknowledgements. No I/O, no clock: the device shell (services/edge/simulator's
 * network client) feeds it and carries the acks to the gateway.
 *
 * Precedence each decision: an active command (latest issued wins) > a fresh bundle's plan >
 * self-consumption. A bundle is fresh while it is at most staleAfterMs old and its horizon has
 * not ended; without one the device keeps running on self-consumption, so the cloud being
 * unreachable never stops it (a storm watch it already knows is still honoured). It re-plans when a newer bundle arrives, when the plan runs out,
 * and when the measured SoC drifts from the planned one by more than driftThresholdPct. Every
 * setpoint passes one safety clamp: power limits, SoC ceiling 100 %, and the floor (the backup
 * reserve, or what an accepted command allows: see command-rules.ts) over the control interval.
 */
import type { CommandAck, ForecastBundle, OperatingMode, SiteCommand } from '../../platform/events.ts';
import { powerBounds } from './battery.ts';
import { checkCommand, commandControl, commandEndMs, type AcceptedCommand } from './command-rules.ts';
import { bundleEndMs, planAt, planBattery, type BatteryPlan, type PlannerSpec } from './planner.ts';
import type { Tariff } from './tariff.ts';

export interface AgentSpec extends PlannerSpec {
  readonly siteId: string;
  readonly deviceId: string;
}

export interface AgentConfig {
  readonly tariff: Tariff;
  readonly carbonWeightPerKg: number;
  /** A bundle older than this is ignored (default 6 h). */
  readonly staleAfterMs: number;
  /** Re-plan when measured SoC is this far from the plan (percentage points, default 5). */
  readonly driftThresholdPct: number;
  /** Time between decide() calls: the window the energy floor is kept over (default 5 min). */
  readonly controlIntervalMs: number;
  /** Absolute SoC floor no command may go under (default 5 %). */
  readonly minSafeSocPct: number;
  /** Planner SoC grid (default 1 %). */
  readonly socStepPct: number;
}

export const defaultAgentConfig = (tariff: Tariff, overrides: Partial<Omit<AgentConfig, 'tariff'>> = {}): AgentConfig => ({
  tariff, carbonWeightPerKg: 0.05, staleAfterMs: 6 * 3_600_000, driftThresholdPct: 5, controlIntervalMs: 300_000, minSafeSocPct: 5, socStepPct: 1, ...overrides,
});

/** A CommandAck minus what the gateway fills in (siteId, deviceId come from the connection). */
export interface AgentAck {
  readonly commandId: string;
  readonly status: CommandAck['status'];
  readonly reason: string | null;
  readonly ackedAtMs: number;
}

export interface AgentMeasurement {
  readonly socPct: number;
  readonly solarKw: number;
  readonly loadKw: number;
}

export interface AgentState {
  readonly spec: AgentSpec;
  readonly config: AgentConfig;
  readonly bundle: ForecastBundle | null;
  readonly plan: BatteryPlan | null;
  readonly commands: ReadonlyArray<AcceptedCommand>;
  /** Final statuses of recent commands, so a redelivered one is re-acked, not re-run. */
  readonly finished: ReadonlyArray<{ readonly commandId: string; readonly status: CommandAck['status']; readonly reason: string | null }>;
  readonly replans: number;
}

export interface AgentDecision {
  readonly state: AgentState;
  readonly setpointKw: number;
  readonly mode: OperatingMode;
  readonly acks: ReadonlyArray<AgentAck>;
  readonly activeCommandId: string | null;
}

const FINISHED_KEPT = 64;
/** Planned grid flow below this counts as "the battery covers the house" (kW). */
const COVER_TOLERANCE_KW = 0.05;

export const createAgentState = (spec: AgentSpec, config: AgentConfig): AgentState => ({ spec, config, bundle: null, plan: null, commands: [], finished: [], replans: 0 });

/** Take a bundle if it is for this site and newer (by issuedAtMs) than the one held. */
export const onBundle = (state: AgentState, bundle: ForecastBundle, _nowMs: number): { state: AgentState; accepted: boolean; reason: string | null } => {
  if (bundle.siteId !== state.spec.siteId) return { state, accepted: false, reason: `bundle for ${bundle.siteId}, this device serves ${state.spec.siteId}` };
  if (state.bundle !== null && bundle.issuedAtMs <= state.bundle.issuedAtMs) {
    return { state, accepted: false, reason: `not newer: issued ${bundle.issuedAtMs}, holding ${state.bundle.issuedAtMs}` };
  }
  return { state: { ...state, bundle, plan: null }, accepted: true, reason: null };
};

const finish = (state: AgentState, done: ReadonlyArray<AgentState['finished'][number]>): AgentState['finished'] => [...state.finished, ...done].slice(-FINISHED_KEPT);

/** Receive a command: acks say ACCEPTED (maybe with a note), REJECTED with the reason, or repeat a known outcome. */
export const onCommand = (state: AgentState, command: SiteCommand, nowMs: number): { state: AgentState; acks: AgentAck[] } => {
  const ack = (commandId: string, status: CommandAck['status'], reason: string | null): AgentAck => ({ commandId, status, reason, ackedAtMs: nowMs });
  const held = state.commands.find((a) => a.command.commandId === command.commandId);
  if (held !== undefined) return { state, acks: [ack(command.commandId, 'ACCEPTED', held.note)] };
  const past = state.finished.find((f) => f.commandId === command.commandId);
  if (past !== undefined) return { state, acks: [ack(command.commandId, past.status, past.reason)] };

  const checked = checkCommand({ siteId: state.spec.siteId, spec: state.spec, minSafeSocPct: state.config.minSafeSocPct }, command, nowMs);
  if (!checked.ok) {
    return { state: { ...state, finished: finish(state, [{ commandId: command.commandId, status: 'REJECTED', reason: checked.error }]) }, acks: [ack(command.commandId, 'REJECTED', checked.error)] };
  }
  if (command.kind === 'RELEASE') {
    const releases = (a: AcceptedCommand): boolean => command.eventId === null || a.command.eventId === command.eventId;
    const reason = `released by ${command.commandId}`;
    const released = state.commands.filter(releases).map((a) => ({ commandId: a.command.commandId, status: 'COMPLETED' as const, reason }));
    const done = [...released, { commandId: command.commandId, status: 'COMPLETED' as const, reason: null }];
    return {
      state: { ...state, commands: state.commands.filter((a) => !releases(a)), finished: finish(state, done) },
      acks: [ack(command.commandId, 'ACCEPTED', null), ...done.map((d) => ack(d.commandId, d.status, d.reason))],
    };
  }
  return { state: { ...state, commands: [...state.commands, checked.value] }, acks: [ack(command.commandId, 'ACCEPTED', checked.value.note)] };
};

/** Whether the held bundle may drive the battery at nowMs. */
export const bundleIsFresh = (state: AgentState, nowMs: number): boolean =>
  state.bundle !== null && nowMs - state.bundle.issuedAtMs <= state.config.staleAfterMs && nowMs < bundleEndMs(state.bundle);

const clampSafe = (state: AgentState, socPct: number, requestKw: number, floorPct: number): number => {
  const b = powerBounds(state.spec, socPct, state.config.controlIntervalMs, Math.max(floorPct, state.config.minSafeSocPct), 100);
  return Math.min(b.maxDischargeKw, Math.max(-b.maxChargeKw, requestKw));
};

/** The setpoint for the next control interval. */
export const decide = (state0: AgentState, nowMs: number, m: AgentMeasurement): AgentDecision => {
  const acks: AgentAck[] = [];
  let state = state0;
  const ended = state.commands.filter((a) => nowMs >= commandEndMs(a.command));
  if (ended.length > 0) {
    const done = ended.map((a) => ({
      commandId: a.command.commandId,
      status: 'COMPLETED' as const,
      reason: a.command.expiresAtMs < a.command.endMs ? `expired at ${a.command.expiresAtMs} before its window ended` : null,
    }));
    for (const d of done) acks.push({ ...d, ackedAtMs: nowMs });
    state = { ...state, commands: state.commands.filter((a) => nowMs < commandEndMs(a.command)), finished: finish(state, done) };
  }
  const netKw = m.loadKw - m.solarKw;
  const reserve = state.spec.backupReservePct;

  let active: AcceptedCommand | null = null;
  for (const a of state.commands) if (a.command.startMs <= nowMs && (active === null || a.command.issuedAtMs >= active.command.issuedAtMs)) active = a;
  if (active !== null) {
    const control = commandControl(active, state.spec, m.socPct, netKw);
    if (control.requestKw !== null) {
      const setpointKw = clampSafe(state, m.socPct, control.requestKw, control.floorPct);
      return { state, setpointKw, mode: control.mode, acks, activeCommandId: active.command.commandId };
    }
  }

  if (state.bundle !== null && bundleIsFresh(state, nowMs)) {
    let plan = state.plan;
    let where = plan === null ? null : planAt(plan, nowMs);
    const drifted = where !== null && Math.abs(where.expectedSocPct - m.socPct) > state.config.driftThresholdPct;
    if (plan === null || where === null || drifted) {
      plan = planBattery(state.spec, state.bundle, m.socPct, nowMs, { tariff: state.config.tariff, carbonWeightPerKg: state.config.carbonWeightPerKg, socStepPct: state.config.socStepPct });
      where = plan === null ? null : planAt(plan, nowMs);
      state = { ...state, plan, replans: state.replans + 1 };
    }
    if (plan !== null && where !== null) {
      const storm = plan.storm;
      const stormAhead = storm !== null && nowMs < storm.endsAtMs;
      const inStorm = storm !== null && nowMs >= storm.startsAtMs && nowMs < storm.endsAtMs;
      // Where the plan has the battery cover the house exactly, cover the actual house instead:
      // the forecast error lands on the battery, not on the grid. Not while a storm is ahead,
      // where reaching full charge on time comes first.
      const covers = !stormAhead && Math.abs(where.forecastNetKw - where.setpointKw) < COVER_TOLERANCE_KW;
      let request = covers ? netKw : where.setpointKw;
      if (inStorm) request = Math.min(request, 0);
      const setpointKw = clampSafe(state, m.socPct, request, reserve);
      return { state, setpointKw, mode: inStorm ? 'BACKUP' : 'COST_OPTIMIZED', acks, activeCommandId: null };
    }
  }
  const hold = stormHoldKw(state, nowMs, m.socPct, netKw);
  if (hold !== null) return { state, setpointKw: clampSafe(state, m.socPct, hold, reserve), mode: 'BACKUP', acks, activeCommandId: null };
  return { state, setpointKw: clampSafe(state, m.socPct, netKw, reserve), mode: 'SELF_CONSUMPTION', acks, activeCommandId: null };
};

/**
 * A storm watch outlives its bundle's freshness: without a usable plan, the agent still charges
 * at full power once the time left before the watch is what filling needs (plus an hour), and
 * holds full until the watch ends. Null when no watch applies.
 */
const stormHoldKw = (state: AgentState, nowMs: number, socPct: number, netKw: number): number | null => {
  const storm = state.bundle?.stormWatch ?? null;
  if (storm === null || nowMs >= storm.endsAtMs) return null;
  const s = state.spec;
  const fillMs = ((((100 - socPct) / 100) * s.batteryKwh) / Math.sqrt(s.roundTripEfficiency) / s.maxChargeKw) * 3_600_000;
  if (nowMs < storm.startsAtMs - fillMs - 3_600_000) return null;
  return socPct < 100 ? -s.maxChargeKw : Math.min(netKw, 0);
};
