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
  /** DEMO_POLL_SHARE, default 0.1: share of devices in poll mode. */
  readonly pollShare: number;
  /** GATEWAY_PORT, default 8090. */
  readonly gatewayPort: number;
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
    gatewayPort: Math.round(num('GATEWAY_PORT', 8090, 1, 65535)),
  };
  if (problems.length > 0) throw new PlatformError('CONFIG_INVALID', `Demo configuration is invalid:\n  - ${problems.join('\n  - ')}`);
  return Object.freeze(c);
};
