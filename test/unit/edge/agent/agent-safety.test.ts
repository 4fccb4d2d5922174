/**
 * Closed-loop properties of the edge agent: the agent decides every control interval, the battery
 * physics executes, and actual load and solar differ from the forecast. Whatever bundles and
 * commands arrive, the agent never exceeds its power limits, never leaves 0..100 %, never goes
 * below the backup reserve unless an accepted DISCHARGE names a lower reservePct (then never
 * below that), and reaches full charge by a storm watch whenever the time allows.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SiteCommand } from '../../../../services/platform/events.ts';
import { stepBattery } from '../../../../services/edge/agent/battery.ts';
import { createAgentState, decide, defaultAgentConfig, onBundle, onCommand, type AgentSpec } from '../../../../services/edge/agent/agent.ts';
import { touTariff } from '../../../../services/edge/agent/tariff.ts';
import { bundle, DAY0, eveningLoadKw, HOUR, sunnySolarKw } from './fixtures.ts';

const INTERVAL = 15 * 60_000;
const config = defaultAgentConfig(touTariff({ utcOffsetHours: -8 }), { controlIntervalMs: INTERVAL });

const arbSpec: fc.Arbitrary<AgentSpec> = fc.record({
  siteId: fc.constant('site-000001'),
  deviceId: fc.constant('dev-000001'),
  batteryKwh: fc.constantFrom(10, 13.5, 27),
  maxChargeKw: fc.constantFrom(3, 5, 10),
  maxDischargeKw: fc.constantFrom(3, 5, 10),
  roundTripEfficiency: fc.double({ min: 0.8, max: 0.95, noNaN: true }),
  backupReservePct: fc.integer({ min: 10, max: 40 }),
});

const arbCommand = fc.record({
  atStep: fc.integer({ min: 0, max: 95 }),
  kind: fc.constantFrom<SiteCommand['kind']>('DISCHARGE', 'CHARGE', 'HOLD_RESERVE', 'RELEASE'),
  powerKw: fc.double({ min: 0, max: 15, noNaN: true }),
  reservePct: fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
  startStep: fc.integer({ min: 0, max: 95 }),
  lengthSteps: fc.integer({ min: 1, max: 16 }),
});

const arbScenario = fc.record({
  spec: arbSpec,
  startSocU: fc.double({ min: 0, max: 1, noNaN: true }),
  bundleAtSteps: fc.array(fc.integer({ min: 0, max: 95 }), { maxLength: 4 }),
  bundleAgeH: fc.integer({ min: 0, max: 10 }),
  commands: fc.array(arbCommand, { maxLength: 6 }),
  solarScale: fc.double({ min: 0.3, max: 1.5, noNaN: true }),
  loadScale: fc.double({ min: 0.5, max: 2, noNaN: true }),
});

describe('edge agent safety (closed loop)', () => {
  it('stays within power and energy limits and above the reserve unless a command names a lower one', () => {
    fc.assert(fc.property(arbScenario, (sc) => {
      let state = createAgentState(sc.spec, config);
      let soc = sc.spec.backupReservePct + sc.startSocU * (100 - sc.spec.backupReservePct);
      let floor = sc.spec.backupReservePct;
      for (let k = 0; k < 96; k++) {
        const t = DAY0 + k * INTERVAL;
        for (const at of sc.bundleAtSteps) if (at === k) state = onBundle(state, bundle({ issuedAtMs: t - sc.bundleAgeH * HOUR, validFromMs: t - (t % HOUR) }), t).state;
        sc.commands.forEach((c, i) => {
          if (c.atStep !== k) return;
          const cmd: SiteCommand = {
            commandId: `c-${i}`, eventId: `e-${i % 2}`, siteId: sc.spec.siteId, kind: c.kind, powerKw: c.powerKw, reservePct: c.reservePct,
            startMs: DAY0 + c.startStep * INTERVAL, endMs: DAY0 + (c.startStep + c.lengthSteps) * INTERVAL, expiresAtMs: DAY0 + (c.startStep + c.lengthSteps) * INTERVAL, issuedAtMs: t,
          };
          const r = onCommand(state, cmd, t);
          state = r.state;
          if (r.acks[0]?.status === 'ACCEPTED' && c.kind === 'DISCHARGE' && c.reservePct !== null) floor = Math.min(floor, c.reservePct);
        });
        const hour = (k * INTERVAL) / HOUR;
        const d = decide(state, t, { socPct: soc, solarKw: sunnySolarKw(hour % 24) * sc.solarScale, loadKw: eveningLoadKw(hour % 24) * sc.loadScale });
        state = d.state;
        expect(d.setpointKw).toBeLessThanOrEqual(sc.spec.maxDischargeKw + 1e-9);
        expect(d.setpointKw).toBeGreaterThanOrEqual(-sc.spec.maxChargeKw - 1e-9);
        const before = soc;
        soc = stepBattery({ socPct: soc }, sc.spec, d.setpointKw, INTERVAL).socPct;
        expect(soc).toBeGreaterThanOrEqual(0);
        expect(soc).toBeLessThanOrEqual(100);
        // Falling below the floor is never the agent's doing (it may only start below it).
        if (soc < before) expect(soc).toBeGreaterThanOrEqual(floor - 1e-6);
      }
    }), { numRuns: 120 });
  });

  it('reaches full charge before a storm watch when time allows, despite forecast error', () => {
    fc.assert(fc.property(arbSpec, fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 12 }), fc.double({ min: 0.3, max: 1.5, noNaN: true }), fc.double({ min: 0.5, max: 2, noNaN: true }), (s, u, slackH, solarScale, loadScale) => {
      let soc = s.backupReservePct + u * (100 - s.backupReservePct);
      const needH = (((100 - soc) / 100) * s.batteryKwh) / Math.sqrt(s.roundTripEfficiency) / s.maxChargeKw;
      const startsAtMs = DAY0 + Math.ceil(needH + 1 + slackH) * HOUR;
      const b = bundle({ stormWatch: { startsAtMs, endsAtMs: startsAtMs + 6 * HOUR, severity: 'WATCH' } });
      let state = onBundle(createAgentState(s, config), b, DAY0).state;
      let modeAtStorm = '';
      for (let t = DAY0; t < startsAtMs + 6 * HOUR; t += INTERVAL) {
        const hour = (t - DAY0) / HOUR;
        const d = decide(state, t, { socPct: soc, solarKw: sunnySolarKw(hour % 24) * solarScale, loadKw: eveningLoadKw(hour % 24) * loadScale });
        state = d.state;
        if (t === startsAtMs) {
          expect(soc).toBeGreaterThanOrEqual(99);
          modeAtStorm = d.mode;
        }
        if (t >= startsAtMs) expect(d.setpointKw).toBeLessThanOrEqual(0); // holds through the watch
        soc = stepBattery({ socPct: soc }, s, d.setpointKw, INTERVAL).socPct;
      }
      expect(modeAtStorm).toBe('BACKUP');
    }), { numRuns: 80 });
  });
});
