/** `npm run demo` settings, parsed once: DEMO_SITES, DEMO_SPEED, DEMO_SECONDS, DEMO_SHARDS. */
import { PlatformError } from '../platform/errors.ts';

export interface DemoConfig {
  /** DEMO_SITES, default 2000: simulated sites, each with one device and its own connection. */
  readonly sites: number;
  /** DEMO_SPEED, default 60: simulated seconds per real second. */
  readonly speed: number;
  /** DEMO_SECONDS, default 90: how long the fleet runs, real seconds. */
  readonly seconds: number;
  /** DEMO_SHARDS, default 2: fleet simulator processes. */
  readonly shards: number;
  /** DEMO_STEP_SEC, default 120: simulated seconds between two measurements of a device (2,000 sites at 60x: 1,000 frames/s). */
  readonly stepSec: number;
  /** DEMO_POLL_SHARE, default 0.1: share of devices in poll mode. */
  readonly pollShare: number;
  /** GATEWAY_PORT, default 8090. */
  readonly gatewayPort: number;
  /** CONTROL_PORT, default 8091. */
  readonly controlPort: number;
  /** ASSETS_PORT, default 8092: the first asset actor instance's read API (the next take the next ports). */
  readonly assetsPort: number;
  /** DEMO_ASSETS, default 1: asset actor instances (the shards split between them). */
  readonly assetsInstances: number;
  /**
   * DEMO_EVENTS, default 1: the scripted grid-event day (a demand-peak dispatch, a storm watch, a
   * short outage) through control's operator API; 0 leaves it out.
   */
  readonly events: boolean;
}

export const parseDemoConfig = (env: Readonly<Record<string, string | undefined>>): DemoConfig => {
  const problems: string[] = [];
  const num = (name: string, dflt: number, min: number, max: number): number => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') return dflt;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) {
      problems.push(`${name}=${raw} must be a number from ${min} to ${max}`);
      return dflt;
    }
    return n;
  };
  const c: DemoConfig = {
    sites: Math.round(num('DEMO_SITES', 2000, 1, 200_000)),
    speed: num('DEMO_SPEED', 60, 1, 3600),
    seconds: num('DEMO_SECONDS', 90, 5, 86_400),
    shards: Math.round(num('DEMO_SHARDS', 2, 1, 32)),
    pollShare: num('DEMO_POLL_SHARE', 0.1, 0, 1),
    stepSec: Math.round(num('DEMO_STEP_SEC', 120, 1, 3600)),
    gatewayPort: Math.round(num('GATEWAY_PORT', 8090, 1, 65535)),
    controlPort: Math.round(num('CONTROL_PORT', 8091, 1, 65535)),
    assetsPort: Math.round(num('ASSETS_PORT', 8092, 1, 65535)),
    assetsInstances: Math.round(num('DEMO_ASSETS', 1, 1, 8)),
    events: num('DEMO_EVENTS', 1, 0, 1) === 1,
  };
  if (problems.length > 0) throw new PlatformError('CONFIG_INVALID', `Demo configuration is invalid:\n  - ${problems.join('\n  - ')}`);
  return Object.freeze(c);
};
