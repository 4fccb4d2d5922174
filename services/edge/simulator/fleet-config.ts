/** Fleet simulator configuration, parsed once from the environment (on top of the platform config). */
import { parseConfig, type Config } from '../../platform/config.ts';
import { PlatformError } from '../../platform/errors.ts';

export interface FleetConfig {
  readonly platform: Config;
  /** FLEET_SITES, default 2000: sites in the whole fleet (every process plans the same fleet). */
  readonly sites: number;
  /** FLEET_SEED, default 1: everything the simulator does follows from it. */
  readonly seed: number;
  /** FLEET_SHARD=i/n, default 0/1: this process runs the sites whose index is i modulo n. */
  readonly shard: { readonly index: number; readonly count: number };
  /** GATEWAY_URLS, default http://127.0.0.1:8090: devices spread over these by index. */
  readonly gatewayUrls: readonly string[];
  /** FLEET_POLL_SHARE, default 0: share of devices in poll mode (the rest push over WebSocket). */
  readonly pollShare: number;
  /** FLEET_POLL_SEC, default 30: poll-mode devices fetch their inputs this often (real seconds). */
  readonly pollIntervalSec: number;
  /** FLEET_STEP_SEC, default 60: simulated seconds between two measurements of a device. */
  readonly stepSec: number;
  /** FLEET_CREDENTIALS_FILE, default <state>/fleet/credentials-<seed>-<sites>.json: written by provisioning. */
  readonly credentialsFile: string;
  /** FLEET_WORLD, default 1 on shard 0: publish the simulated weather and grid-operator feeds. */
  readonly publishWorld: boolean;
  /** OPERATOR_TOKEN, default the gateway's development token: used to provision. */
  readonly operatorToken: string;
}

export const parseFleetConfig = (env: Readonly<Record<string, string | undefined>>): FleetConfig => {
  const platform = parseConfig(env);
  const problems: string[] = [];
  const num = (name: string, dflt: number, min: number, max: number, integer = true): number => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') return dflt;
    const n = Number(raw);
    if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
      problems.push(`${name}=${raw} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
      return dflt;
    }
    return n;
  };
  const sites = num('FLEET_SITES', 2000, 1, 1_000_000);
  const seed = num('FLEET_SEED', 1, 0, 2 ** 31);
  const shardRaw = env['FLEET_SHARD']?.trim() || '0/1';
  const m = /^(\d+)\/(\d+)$/.exec(shardRaw);
  const shard = m ? { index: Number(m[1]), count: Number(m[2]) } : { index: 0, count: 1 };
  if (!m || shard.count < 1 || shard.index >= shard.count) problems.push(`FLEET_SHARD=${shardRaw} must be i/n with 0 <= i < n`);
  const gatewayUrls = (env['GATEWAY_URLS']?.trim() || 'http://127.0.0.1:8090').split(',').map((u) => u.trim().replace(/\/+$/, ''));
  for (const u of gatewayUrls) if (!/^https?:\/\/[^/]+$/.test(u)) problems.push(`GATEWAY_URLS entry ${u} must be http(s)://host:port`);
  const worldRaw = env['FLEET_WORLD']?.trim();
  const config: FleetConfig = {
    platform,
    sites,
    seed,
    shard: Object.freeze(shard),
    gatewayUrls: Object.freeze(gatewayUrls),
    pollShare: num('FLEET_POLL_SHARE', 0, 0, 1, false),
    pollIntervalSec: num('FLEET_POLL_SEC', 30, 1, 86_400),
    stepSec: num('FLEET_STEP_SEC', 60, 1, 3_600),
    credentialsFile: env['FLEET_CREDENTIALS_FILE']?.trim() || `${platform.stateDir}/fleet/credentials-${seed}-${sites}.json`,
    publishWorld: worldRaw === undefined || worldRaw === '' ? shard.index === 0 : worldRaw === '1',
    operatorToken: env['OPERATOR_TOKEN']?.trim() || 'dev-operator-token',
  };
  if (problems.length > 0) throw new PlatformError('CONFIG_INVALID', `Fleet configuration is invalid:\n  - ${problems.join('\n  - ')}`);
  return Object.freeze(config);
};
