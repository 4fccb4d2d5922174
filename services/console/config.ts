/**
 * Console configuration, parsed once from the environment (on top of the platform config).
 * Every field documents its variable and default.
 */
import { envReader, parseEnvironment, parsePlatformInto, type Config } from '../platform/config.ts';
import { configInvalid } from '../platform/errors.ts';
import { parseListener, type TlsFiles } from '../platform/listener-config.ts';
import { checkClickhouseLogin } from '../platform/production-checks.ts';

export interface ConsoleConfig {
  readonly platform: Config;
  /** CONSOLE_PORT, default 8093 (0: any free port). */
  readonly port: number;
  /** CONSOLE_HOST, default 127.0.0.1: the console is for the operators' machines. */
  readonly host: string;
  /** CONSOLE_TLS_KEY_FILE and CONSOLE_TLS_CERT_FILE (PEM): HTTPS; null: plain HTTP. */
  readonly tls: TlsFiles | null;
  /** CONSOLE_CONTROL_URL, default http://127.0.0.1:8091: control's API (tokens and roles are control's). */
  readonly controlUrl: string;
  /** CONSOLE_ASSETS_URL, default http://127.0.0.1:8092: the asset actors' read API. */
  readonly assetsUrl: string;
  /** CONSOLE_ASSETS_TOKEN, default dev-viewer-token (development only): the viewer token the console reads the assets API with. */
  readonly assetsToken: string;
  /** CONSOLE_GATEWAY_URL, default http://127.0.0.1:8090: the gateway's /metrics and /healthz. */
  readonly gatewayUrl: string;
  /** CONSOLE_INGEST_URL, default http://127.0.0.1:9464: ingest's /metrics and /healthz. */
  readonly ingestUrl: string;
  /** CONSOLE_FORECAST_URL, default http://127.0.0.1:9465: the forecast jobs' /metrics (run outcomes, age per kind). */
  readonly forecastUrl: string;
  /** CONSOLE_FLEET_ID, default fleet: the root of the tree. */
  readonly fleetId: string;
  /** CONSOLE_TREE_DEPTH, default 4 (fleet > region > substation > feeder > site). */
  readonly treeDepth: number;
  /** CONSOLE_POLL_MS, default 2000: how often the live panels poll the operational services. */
  readonly pollMs: number;
  /** CONSOLE_UPSTREAM_TIMEOUT_MS, default 3000: one call to control, assets, gateway or ingest. */
  readonly upstreamTimeoutMs: number;
  /** CONSOLE_ANALYTICS_TIMEOUT_MS, default 4000: one forecast query to ClickHouse. */
  readonly analyticsTimeoutMs: number;
  /** CONSOLE_CLICKHOUSE_USER / CONSOLE_CLICKHOUSE_PASSWORD, default analyst/analyst (read-only). */
  readonly clickhouseUser: string;
  readonly clickhousePassword: string;
  /** CONSOLE_SITE_LOCATIONS, default 1: follow asset.registry.v1 for the map's site locations (0: no map). */
  readonly siteLocations: boolean;
  /** CONSOLE_SIGN_IN_FAILURES, default 5: refused sign-ins an address may have within a minute before it waits (429). */
  readonly signInFailures: number;
}

export const parseConsoleConfig = (env: Readonly<Record<string, string | undefined>>): ConsoleConfig => {
  const problems: string[] = [];
  const platform = parsePlatformInto(env, problems);
  const reader = envReader(env, problems);
  const { get, int } = reader;
  const environment = parseEnvironment(env, []);
  const listener = parseListener(reader, environment, problems, { prefix: 'CONSOLE', defaultPort: 8093, tlsCapable: true });
  const clickhouseUser = get('CONSOLE_CLICKHOUSE_USER') ?? 'analyst';
  const clickhousePassword = env['CONSOLE_CLICKHOUSE_PASSWORD'] ?? 'analyst';
  checkClickhouseLogin(environment, problems, { userVar: 'CONSOLE_CLICKHOUSE_USER', user: clickhouseUser, passwordVar: 'CONSOLE_CLICKHOUSE_PASSWORD', password: clickhousePassword, passwordSet: env['CONSOLE_CLICKHOUSE_PASSWORD'] !== undefined });
  const url = (name: string, dflt: string): string => {
    const raw = get(name) ?? dflt;
    try {
      const u = new URL(raw);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') problems.push(`${name}=${raw} must be http or https`);
    } catch {
      problems.push(`${name}=${raw} is not a URL`);
    }
    return raw.replace(/\/+$/, '');
  };
  const fleetId = get('CONSOLE_FLEET_ID') ?? 'fleet';
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(fleetId)) problems.push(`CONSOLE_FLEET_ID=${fleetId} must be an asset id`);
  const locations = get('CONSOLE_SITE_LOCATIONS') ?? '1';
  if (locations !== '0' && locations !== '1') problems.push(`CONSOLE_SITE_LOCATIONS=${locations} must be 0 or 1`);
  const config = {
    platform,
    port: listener.port,
    host: listener.host,
    tls: listener.tls,
    controlUrl: url('CONSOLE_CONTROL_URL', 'http://127.0.0.1:8091'),
    assetsUrl: url('CONSOLE_ASSETS_URL', 'http://127.0.0.1:8092'),
    assetsToken: env['CONSOLE_ASSETS_TOKEN']?.trim() || 'dev-viewer-token',
    gatewayUrl: url('CONSOLE_GATEWAY_URL', 'http://127.0.0.1:8090'),
    ingestUrl: url('CONSOLE_INGEST_URL', 'http://127.0.0.1:9464'),
    forecastUrl: url('CONSOLE_FORECAST_URL', 'http://127.0.0.1:9465'),
    fleetId,
    treeDepth: int('CONSOLE_TREE_DEPTH', 4, 1, 10),
    pollMs: int('CONSOLE_POLL_MS', 2000, 200, 60_000),
    upstreamTimeoutMs: int('CONSOLE_UPSTREAM_TIMEOUT_MS', 3000, 100, 60_000),
    analyticsTimeoutMs: int('CONSOLE_ANALYTICS_TIMEOUT_MS', 4000, 100, 60_000),
    clickhouseUser,
    clickhousePassword,
    siteLocations: locations !== '0',
    signInFailures: int('CONSOLE_SIGN_IN_FAILURES', 5, 1, 1_000_000),
  };
  if (problems.length > 0 || platform === undefined) throw configInvalid('Console', problems);
  return Object.freeze({ ...config, platform });
};
