/**
 * The forecast jobs' own settings, parsed once from the environment next to the platform's
 * (`parseConfig`). Pure: the CLI passes process.env in. Every field documents its variable and
 * default; an invalid value fails listing every problem at once.
 *
 * Intervals are in simulated minutes: with SIM_SPEED=60 an hourly schedule fires every real
 * minute, so the demo issues forecasts every few real seconds without special cases.
 */
import { envReader, parseEnvironment, type Env } from '../../platform/config.ts';
import { configInvalid } from '../../platform/errors.ts';
import { parseListener } from '../../platform/listener-config.ts';
import { checkClickhouseLogin } from '../../platform/production-checks.ts';
import { RunKinds, type RunKind } from './run-kinds.ts';

export interface ForecastConfig {
  /** FORECAST_WEATHER_EVERY_MIN (60), FORECAST_EMISSIONS_EVERY_MIN (30), FORECAST_SITES_EVERY_MIN (60): schedule per kind, simulated minutes. */
  readonly everyMin: Readonly<Record<RunKind, number>>;
  /** FORECAST_CHUNK_SITES, default 5000: sites (or cells, regions) per chunk job. */
  readonly chunkSize: number;
  /** FORECAST_HISTORY_DAYS, default 28: simulated days of history a run reads. */
  readonly historyDays: number;
  /** FORECAST_QUEUE_PREFIX, default gridfleet-forecast: BullMQ key prefix (tests use fresh ones). */
  readonly queuePrefix: string;
  /** FORECAST_TOPIC_PREFIX, default empty: physical topic = prefix + fleet.forecasts.v1 (tests). */
  readonly topicPrefix: string;
  /** FORECAST_CLICKHOUSE_USER / _PASSWORD, default default / empty: reads features, writes forecast_areas and forecast_runs. */
  readonly clickhouseUser: string;
  readonly clickhousePassword: string;
  /** FORECAST_DATABASE, default gridfleet. */
  readonly database: string;
  /** FORECAST_RUN_ATTEMPTS, default 8: attempts of a run's read-and-fan-out job (exponential backoff). */
  readonly runAttempts: number;
  /** FORECAST_CHUNK_ATTEMPTS, default 5: attempts of a chunk job (a poison chunk gets one). */
  readonly chunkAttempts: number;
  /** FORECAST_BACKOFF_MS, default 2000: first retry delay, doubling each attempt. */
  readonly backoffMs: number;
  /** FORECAST_CHUNK_CONCURRENCY, default 2: chunk jobs a worker runs at once (one computes while one publishes). */
  readonly chunkConcurrency: number;
  /** FORECAST_SNAPSHOT_TTL_SEC, default 21600: how long a run's feature snapshot stays in Redis (retries read it). */
  readonly snapshotTtlSec: number;
  /** FORECAST_METRICS_PORT, default 9465 (0 picks a free port, -1 none): /metrics of a worker. */
  readonly metricsPort: number;
  /** FORECAST_METRICS_HOST, default 127.0.0.1 (plain HTTP: in production it stays on loopback). */
  readonly metricsHost: string;
  /** FORECAST_CLICKHOUSE_TIMEOUT_MS, default 30000: per query. */
  readonly clickhouseTimeoutMs: number;
  /** FORECAST_CHUNK_DELAY_MS, default 0: hold every chunk this long before it computes (tests: a run that is still under way when Redis restarts). */
  readonly chunkDelayMs: number;
}

export const parseForecastConfig = (env: Env): ForecastConfig => {
  const problems: string[] = [];
  const reader = envReader(env, problems);
  const { get, int } = reader;
  const environment = parseEnvironment(env, []);
  const listener = parseListener(reader, environment, problems, { prefix: 'FORECAST_METRICS', portVar: 'FORECAST_METRICS_PORT', defaultPort: 9465, minPort: -1, tlsCapable: false });
  const clickhouseUser = get('FORECAST_CLICKHOUSE_USER') ?? 'default';
  const clickhousePassword = get('FORECAST_CLICKHOUSE_PASSWORD') ?? '';
  checkClickhouseLogin(environment, problems, { userVar: 'FORECAST_CLICKHOUSE_USER', user: clickhouseUser, passwordVar: 'FORECAST_CLICKHOUSE_PASSWORD', password: clickhousePassword, passwordSet: get('FORECAST_CLICKHOUSE_PASSWORD') !== undefined });
  const name = (v: string, dflt: string): string => {
    const raw = get(v) ?? dflt;
    if (!/^[A-Za-z0-9._:-]*$/.test(raw)) problems.push(`${v}=${raw} may only hold letters, digits and . _ : -`);
    return raw;
  };
  const config: ForecastConfig = {
    everyMin: Object.freeze({
      [RunKinds.weather]: int('FORECAST_WEATHER_EVERY_MIN', 60, 1, 10_080),
      [RunKinds.emissions]: int('FORECAST_EMISSIONS_EVERY_MIN', 30, 1, 10_080),
      [RunKinds.sites]: int('FORECAST_SITES_EVERY_MIN', 60, 1, 10_080),
    }),
    chunkSize: int('FORECAST_CHUNK_SITES', 5000, 1, 100_000),
    historyDays: int('FORECAST_HISTORY_DAYS', 28, 1, 366),
    queuePrefix: name('FORECAST_QUEUE_PREFIX', 'gridfleet-forecast'),
    topicPrefix: name('FORECAST_TOPIC_PREFIX', ''),
    clickhouseUser,
    clickhousePassword,
    database: name('FORECAST_DATABASE', 'gridfleet'),
    runAttempts: int('FORECAST_RUN_ATTEMPTS', 8, 1, 100),
    chunkAttempts: int('FORECAST_CHUNK_ATTEMPTS', 5, 1, 100),
    backoffMs: int('FORECAST_BACKOFF_MS', 2000, 10, 600_000),
    chunkConcurrency: int('FORECAST_CHUNK_CONCURRENCY', 2, 1, 64),
    snapshotTtlSec: int('FORECAST_SNAPSHOT_TTL_SEC', 21_600, 60, 604_800),
    metricsPort: listener.port,
    metricsHost: listener.host,
    clickhouseTimeoutMs: int('FORECAST_CLICKHOUSE_TIMEOUT_MS', 30_000, 100, 600_000),
    chunkDelayMs: int('FORECAST_CHUNK_DELAY_MS', 0, 0, 600_000),
  };
  if (problems.length > 0) throw configInvalid('Forecast', problems);
  return Object.freeze(config);
};
