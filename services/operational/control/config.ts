/**
 * Control configuration, parsed once from the environment (on top of the platform config).
 * Every field documents its variable and default.
 */
import { envReader, parseEnvironment, parsePlatformInto, type Config } from '../../platform/config.ts';
import { configInvalid } from '../../platform/errors.ts';
import { parseListener, type TlsFiles } from '../../platform/listener-config.ts';
import { Environments, PUBLISHED_SECRETS } from '../../platform/production-checks.ts';
import { DEV_ACCESS_TOKENS, parseTokens, type TokenEntry } from '../../platform/access-tokens.ts';

export interface ControlConfig {
  readonly platform: Config;
  /** CONTROL_PORT, default 8091: the HTTP API. */
  readonly port: number;
  /** CONTROL_HOST, default 127.0.0.1 (in production, off loopback only with TLS). */
  readonly host: string;
  /** CONTROL_TLS_KEY_FILE, CONTROL_TLS_CERT_FILE (PEM), CONTROL_TLS_CLIENT_CA_FILE: HTTPS; null: plain HTTP. */
  readonly tls: TlsFiles | null;
  /**
   * CONTROL_TOKENS: comma-separated `operator:TOKEN`, `viewer:TOKEN`, `customer:SITE_ID:TOKEN`
   * (an optional name after the token, `operator:TOKEN:alice`, names who it is in the logs).
   * Default (development only): DEV_CONTROL_TOKENS.
   */
  readonly tokens: readonly TokenEntry[];
  readonly usesDevelopmentTokens: boolean;
  /** CONTROL_INSTANCE_ID, default control-<pid>: names this instance's consumer groups. */
  readonly instanceId: string;
  /** CONTROL_REALLOCATE_SEC, default 5: how often (real seconds) active events re-allocate when sites dropped out. */
  readonly reallocateEveryMs: number;
  /** CONTROL_SAMPLE_SEC, default 60: bucket of the measured-response series (simulated seconds). */
  readonly sampleEveryMs: number;
  /**
   * CONTROL_MIN_DELIVERY_SEC, default 5: a dispatch whose window ends sooner than this (event
   * clock) is refused with CTRL_WINDOW_ENDED, as is one whose window ran out while it was written.
   */
  readonly minDeliveryMs: number;
  /** CONTROL_LEADER_GROUP, default gridfleet-control-leader: the consumer group whose partition-0 owner leads. */
  readonly leaderGroup: string;
}

export const DEV_CONTROL_TOKENS = DEV_ACCESS_TOKENS;
export { parseTokens };

export const parseControlConfig = (env: Readonly<Record<string, string | undefined>>): ControlConfig => {
  const problems: string[] = [];
  const platform = parsePlatformInto(env, problems);
  const reader = envReader(env, problems);
  const { int } = reader;
  const environment = parseEnvironment(env, []);
  const rawTokens = env['CONTROL_TOKENS']?.trim() || DEV_CONTROL_TOKENS;
  const tokens = parseTokens(rawTokens, problems);
  if (environment === Environments.production) {
    if (rawTokens === DEV_CONTROL_TOKENS) problems.push('CONTROL_TOKENS is unset: production needs tokens of its own (development defaults are refused)');
    else if (tokens.some((t) => PUBLISHED_SECRETS.has(t.token))) problems.push('CONTROL_TOKENS holds a development token published in the repository');
  }
  const listener = parseListener(reader, environment, problems, { prefix: 'CONTROL', defaultPort: 8091, tlsCapable: true });
  const config = {
    platform,
    port: listener.port,
    host: listener.host,
    tls: listener.tls,
    tokens: Object.freeze(tokens),
    usesDevelopmentTokens: rawTokens === DEV_CONTROL_TOKENS,
    instanceId: env['CONTROL_INSTANCE_ID']?.trim() || `control-${process.pid}`,
    reallocateEveryMs: int('CONTROL_REALLOCATE_SEC', 5, 1, 3600) * 1000,
    sampleEveryMs: int('CONTROL_SAMPLE_SEC', 60, 1, 86_400) * 1000,
    minDeliveryMs: int('CONTROL_MIN_DELIVERY_SEC', 5, 0, 3600) * 1000,
    leaderGroup: env['CONTROL_LEADER_GROUP']?.trim() || 'gridfleet-control-leader',
  };
  if (problems.length > 0 || platform === undefined) throw configInvalid('Control', problems);
  return Object.freeze({ ...config, platform });
};
