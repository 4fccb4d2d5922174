/**
 * Gateway configuration, parsed once from the environment (on top of the platform config).
 * Every field documents its variable and default.
 */
import { envReader, parsePlatformInto, parseEnvironment, type Config } from '../../platform/config.ts';
import { configInvalid } from '../../platform/errors.ts';
import { parseListener, type TlsFiles } from '../../platform/listener-config.ts';
import { checkSecret } from '../../platform/production-checks.ts';
import type { BucketPolicy } from './rate-limit.ts';

export interface GatewayConfig {
  readonly platform: Config;
  /** GATEWAY_PORT, default 8090: HTTP API, WebSocket and /metrics. */
  readonly port: number;
  /** GATEWAY_HOST, default 127.0.0.1: the address it listens on. */
  readonly host: string;
  /** GATEWAY_TLS_KEY_FILE, GATEWAY_TLS_CERT_FILE (PEM), GATEWAY_TLS_CLIENT_CA_FILE: HTTPS and WSS; null: plain HTTP. */
  readonly tls: TlsFiles | null;
  /** GATEWAY_INSTANCE_ID, default gw-<pid>: names this instance's delivery consumer group. */
  readonly instanceId: string;
  /** GATEWAY_TOKEN_SECRET: HMAC secret of device credentials. The default is for development only. */
  readonly tokenSecret: string;
  /** OPERATOR_TOKEN: bearer token of the provisioning API. The default is for development only. */
  readonly operatorToken: string;
  readonly usesDevelopmentSecrets: boolean;
  /** GATEWAY_MAX_FRAME_BYTES, default 4096: larger frames are refused with OVERSIZED. */
  readonly maxFrameBytes: number;
  /**
   * GATEWAY_WS_MAX_MESSAGE_BYTES, default 1048576 (1 MiB), at least maxFrameBytes: the WebSocket
   * hard cap. A message up to it is read and, when above maxFrameBytes, refused like any bad frame
   * (error frame, count, dead letter; the connection stays). Above it the gateway does not read the
   * message and closes the socket with 1009 (message too big); the cap bounds what one message can
   * make the gateway buffer.
   */
  readonly wsMaxMessageBytes: number;
  /** GATEWAY_SKEW_SEC, default 300: how far measuredAtMs may be ahead of the gateway clock (simulated seconds). */
  readonly skewMs: number;
  /** GATEWAY_MAX_AGE_SEC, default 86400: how old a (buffered, resent) measurement may be (simulated seconds). */
  readonly maxAgeMs: number;
  /** GATEWAY_DEVICE_RATE (default 10 frames/s), GATEWAY_DEVICE_BURST (default 200 frames, room for a resent offline buffer). */
  readonly devicePolicy: BucketPolicy;
  /** GATEWAY_MAX_PENDING, default 20000: frames waiting for Kafka before the gateway stops reading (backpressure). */
  readonly maxPending: number;
  /**
   * GATEWAY_FANOUT_PER_SEC, default 500: forecast pushes per second; GATEWAY_FANOUT_JITTER_MS,
   * default 30000. Bundles share the gateway's event loop with commands; a whole fleet's bundles
   * at 20,000/s over 2 s doubled command latency at 10k sites (docs/operations.md). Spread over
   * half a minute they are still hours ahead of their use.
   */
  readonly fanoutPerSec: number;
  readonly fanoutJitterMs: number;
}

export const DEV_TOKEN_SECRET = 'gridfleet-development-secret-change-me';
export const DEV_OPERATOR_TOKEN = 'dev-operator-token';

export const parseGatewayConfig = (env: Readonly<Record<string, string | undefined>>): GatewayConfig => {
  const problems: string[] = [];
  const platform = parsePlatformInto(env, problems);
  const reader = envReader(env, problems);
  const { get, int } = reader;
  const environment = parseEnvironment(env, []);
  const tokenSecret = get('GATEWAY_TOKEN_SECRET') ?? DEV_TOKEN_SECRET;
  if (tokenSecret.length < 16) problems.push('GATEWAY_TOKEN_SECRET must be at least 16 characters');
  const operatorToken = get('OPERATOR_TOKEN') ?? DEV_OPERATOR_TOKEN;
  checkSecret(environment, problems, { name: 'GATEWAY_TOKEN_SECRET', value: tokenSecret, wasSet: get('GATEWAY_TOKEN_SECRET') !== undefined });
  checkSecret(environment, problems, { name: 'OPERATOR_TOKEN', value: operatorToken, wasSet: get('OPERATOR_TOKEN') !== undefined });
  const listener = parseListener(reader, environment, problems, { prefix: 'GATEWAY', defaultPort: 8090, tlsCapable: false });
  const config = {
    platform,
    port: listener.port,
    host: listener.host,
    tls: listener.tls,
    instanceId: env['GATEWAY_INSTANCE_ID']?.trim() || `gw-${process.pid}`,
    tokenSecret,
    operatorToken,
    usesDevelopmentSecrets: tokenSecret === DEV_TOKEN_SECRET || operatorToken === DEV_OPERATOR_TOKEN,
    maxFrameBytes: int('GATEWAY_MAX_FRAME_BYTES', 4096, 256, 1_048_576),
    wsMaxMessageBytes: int('GATEWAY_WS_MAX_MESSAGE_BYTES', 1_048_576, 256, 64 * 1_048_576),
    skewMs: int('GATEWAY_SKEW_SEC', 300, 1, 86_400 * 7) * 1000,
    maxAgeMs: int('GATEWAY_MAX_AGE_SEC', 86_400, 1, 86_400 * 365) * 1000,
    devicePolicy: Object.freeze({
      ratePerSec: int('GATEWAY_DEVICE_RATE', 10, 1, 10_000),
      burst: int('GATEWAY_DEVICE_BURST', 200, 1, 100_000),
      strikesToDisconnect: int('GATEWAY_DEVICE_STRIKES', 50, 1, 1_000_000),
    }),
    maxPending: int('GATEWAY_MAX_PENDING', 20_000, 10, 10_000_000),
    fanoutPerSec: int('GATEWAY_FANOUT_PER_SEC', 500, 1, 10_000_000),
    fanoutJitterMs: int('GATEWAY_FANOUT_JITTER_MS', 30_000, 0, 600_000),
  };
  if (config.wsMaxMessageBytes < config.maxFrameBytes) {
    problems.push(`GATEWAY_WS_MAX_MESSAGE_BYTES (${config.wsMaxMessageBytes}) must be at least GATEWAY_MAX_FRAME_BYTES (${config.maxFrameBytes})`);
  }
  if (problems.length > 0 || platform === undefined) throw configInvalid('Gateway', problems);
  return Object.freeze({ ...config, platform });
};
