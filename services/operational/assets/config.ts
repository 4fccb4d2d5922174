/**
 * The assets service's own settings, parsed once from the environment next to the platform's
 * (`parseConfig`). Pure: main.ts passes process.env in. Every field documents its variable and
 * default; an invalid value fails listing every problem at once.
 */
import { DEV_ACCESS_TOKENS, parseTokens, type TokenEntry } from '../../platform/access-tokens.ts';
import { envReader, parseEnvironment, type Env } from '../../platform/config.ts';
import { configInvalid } from '../../platform/errors.ts';
import { parseListener } from '../../platform/listener-config.ts';
import type { TlsFiles } from '../../platform/listener-config.ts';
import { Environments } from '../../platform/production-checks.ts';

export interface AssetsConfig {
  /** ASSETS_PORT, default 8092 (0 picks a free port): the read API, /metrics and /healthz. */
  readonly port: number;
  /** ASSETS_HOST, default 127.0.0.1 (in production, off loopback only with TLS). */
  readonly host: string;
  /** ASSETS_TLS_KEY_FILE, ASSETS_TLS_CERT_FILE (PEM), ASSETS_TLS_CLIENT_CA_FILE: HTTPS; null: plain HTTP. */
  readonly tls: TlsFiles | null;
  /**
   * ASSETS_TOKENS: who may read (platform/access-tokens.ts: operator and viewer tokens read every
   * asset, a customer token only its own site and its devices: site state and load tell when a
   * household is home). Default (development only): the development tokens.
   */
  readonly tokens: readonly TokenEntry[];
  readonly usesDevelopmentTokens: boolean;
  /** ASSETS_GROUP_ID, default gridfleet-assets: the consumer group whose partitions are the shards. */
  readonly groupId: string;
  /** ASSETS_INSTANCE_ID, default assets-<pid> (main.ts fills it): names this instance's own read-model groups. */
  readonly instanceId: string | null;
  /** ASSETS_TOPIC_PREFIX, default empty: physical topic = prefix + logical name (tests use fresh prefixes). */
  readonly topicPrefix: string;
  /**
   * ASSETS_STALE_AFTER_MS, default 900000 (15 min, three of the simulator's 5-minute telemetry
   * intervals): a device whose last frame (gateway receive time) is older is offline. Event time:
   * simulated when SIM_SPEED is set.
   */
  readonly staleAfterMs: number;
  /** ASSETS_TICK_MS, default 5000: how often (real time) the staleness tick runs over the owned shards. */
  readonly tickMs: number;
  /** ASSETS_FLUSH_MS, default 500: how often (real time) a site shard writes its changes (partials, compact site view). */
  readonly siteFlushMs: number;
  /** ASSETS_PARENT_FLUSH_MS, default 250: how often a parent shard writes its changed parents (compact parent view). */
  readonly parentFlushMs: number;
  /** ASSETS_SNAPSHOT_EVERY_MS, default 7500: how often a shard writes a snapshot (a restore replays at most this much input; docs/assets.md has the trade-off measured). */
  readonly snapshotEveryMs: number;
  /** ASSETS_FULL_VIEW_EVERY_MS, default 60000: how often a shard's view batch carries all its assets (what a new reader starts from). */
  readonly fullViewEveryMs: number;
  /** ASSETS_SESSION_TIMEOUT_MS, default 30000: Kafka group session timeout (how soon a dead instance's shards move). */
  readonly sessionTimeoutMs: number;
  /** ASSETS_CONCURRENCY, default 4: shards (partitions) processed at once. */
  readonly concurrency: number;
}

export const parseAssetsConfig = (env: Env): AssetsConfig => {
  const problems: string[] = [];
  const reader = envReader(env, problems);
  const { get, int } = reader;
  const listener = parseListener(reader, parseEnvironment(env, []), problems, { prefix: 'ASSETS', defaultPort: 8092, tlsCapable: true });
  const ident = (name: string, dflt: string | null): string | null => {
    const v = get(name) ?? dflt;
    if (v !== null && !/^[A-Za-z0-9._-]+$/.test(v)) problems.push(`${name}=${v} may hold only letters, digits, '.', '_' and '-'`);
    return v;
  };
  const rawTokens = env['ASSETS_TOKENS']?.trim() || DEV_ACCESS_TOKENS;
  if (parseEnvironment(env, []) === Environments.production && rawTokens === DEV_ACCESS_TOKENS) {
    problems.push('ASSETS_TOKENS is unset: production needs tokens of its own (development defaults are refused)');
  }
  const config: AssetsConfig = {
    port: listener.port,
    host: listener.host,
    tls: listener.tls,
    tokens: Object.freeze(parseTokens(rawTokens, problems, 'ASSETS_TOKENS')),
    usesDevelopmentTokens: rawTokens === DEV_ACCESS_TOKENS,
    groupId: ident('ASSETS_GROUP_ID', 'gridfleet-assets') ?? 'gridfleet-assets',
    instanceId: ident('ASSETS_INSTANCE_ID', null),
    topicPrefix: get('ASSETS_TOPIC_PREFIX') === undefined ? '' : (ident('ASSETS_TOPIC_PREFIX', '') ?? ''),
    staleAfterMs: int('ASSETS_STALE_AFTER_MS', 900_000, 1_000, 7 * 24 * 3_600_000),
    tickMs: int('ASSETS_TICK_MS', 5_000, 100, 3_600_000),
    siteFlushMs: int('ASSETS_FLUSH_MS', 500, 10, 60_000),
    parentFlushMs: int('ASSETS_PARENT_FLUSH_MS', 250, 10, 60_000),
    snapshotEveryMs: int('ASSETS_SNAPSHOT_EVERY_MS', 7_500, 500, 3_600_000),
    fullViewEveryMs: int('ASSETS_FULL_VIEW_EVERY_MS', 60_000, 500, 3_600_000),
    sessionTimeoutMs: int('ASSETS_SESSION_TIMEOUT_MS', 30_000, 6_000, 300_000),
    concurrency: int('ASSETS_CONCURRENCY', 4, 1, 64),
  };
  if (problems.length > 0) throw configInvalid('Assets', problems);
  return Object.freeze(config);
};
