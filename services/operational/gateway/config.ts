/**
 * Gateway configuration, parsed once from the environment (on top of the platform config).
 * Every field documents its variable and default.
 */
import { envReader, parsePlatformInto, parseEnvironment, type Config } from '../../platform/config.ts';
import { configInvalid } from '../../platform/errors.ts';
import { parseListener, type TlsFiles } from '../../platform/listener-config.ts';
import { checkSecret } from '../../platform/production-checks.ts';
import type { KeyRing, SigningKey } from './credentials.ts';
import type { BucketPolicy } from './rate-limit.ts';

export interface GatewayConfig {
  readonly platform: Config;
  /** GATEWAY_PORT, default 8090: HTTP API, WebSocket and /metrics. */
  readonly port: number;
  /** GATEWAY_HOST, default 127.0.0.1: the address it listens on. */
  readonly host: string;
  /** GATEWAY_TLS_KEY_FILE, GATEWAY_TLS_CERT_FILE (PEM), GATEWAY_TLS_CLIENT_CA_FILE (optional device certificates naming the device, client-certificate.ts): HTTPS and WSS; null: plain HTTP. */
  readonly tls: TlsFiles | null;
  /** GATEWAY_INSTANCE_ID, default gw-<pid>: names this instance's delivery consumer group. */
  readonly instanceId: string;
  /**
   * Keys of device credentials (HS256): GATEWAY_TOKEN_KEYS `kid:secret,kid:secret` (the first
   * signs, all verify: a rotation adds the new key first and removes the old one once its
   * credentials expired), else GATEWAY_TOKEN_SECRET as the one key `k1`. The default (kid `dev`)
   * is for development only. Secrets are at least 16 characters.
   */
  readonly tokenKeys: KeyRing;
  /** GATEWAY_TOKEN_TTL_SEC, default 2592000 (30 days): how long a credential is valid. */
  readonly tokenTtlMs: number;
  /** GATEWAY_DEVICE_MAX_CONNECTIONS, default 2: open WebSockets per device on this instance (one spare for a reconnect while the old socket is not yet seen dead). */
  readonly maxConnectionsPerDevice: number;
  /**
   * GATEWAY_MAX_SEQ_JUMP, default 600000: a telemetry seq above max(the device's highest accepted,
   * the gateway's wall clock in ms) plus this is refused (SEQ_JUMP, dead-lettered), so one frame
   * with a huge seq cannot make every later frame of the device a replay. Devices that keep no
   * counter start theirs from their clock in ms (docs/device-protocol.md), hence the clock term.
   */
  readonly maxSeqJump: number;
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

/** GATEWAY_TOKEN_KEYS (`kid:secret,...`, first signs) or GATEWAY_TOKEN_SECRET (one key, kid k1), else the development key. */
export const parseKeyRing = (keysRaw: string | undefined, secretRaw: string | undefined, problems: string[]): KeyRing => {
  if (keysRaw !== undefined && secretRaw !== undefined) problems.push('set GATEWAY_TOKEN_KEYS or GATEWAY_TOKEN_SECRET, not both');
  const keys: SigningKey[] = [];
  if (keysRaw !== undefined) {
    for (const item of keysRaw.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
      const i = item.indexOf(':');
      const kid = i < 0 ? '' : item.slice(0, i);
      const secret = i < 0 ? '' : item.slice(i + 1);
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(kid)) problems.push('GATEWAY_TOKEN_KEYS entries are kid:secret with a kid of letters, digits, . _ -');
      else if (keys.some((k) => k.kid === kid)) problems.push(`GATEWAY_TOKEN_KEYS names key ${kid} twice`);
      else keys.push({ kid, secret });
    }
  } else if (secretRaw !== undefined) keys.push({ kid: 'k1', secret: secretRaw });
  for (const k of keys) if (k.secret.length < 16) problems.push(`the secret of token key ${k.kid} must be at least 16 characters`);
  const [first, ...rest] = keys;
  return first === undefined ? [{ kid: 'dev', secret: DEV_TOKEN_SECRET }] : [first, ...rest];
};

export const parseGatewayConfig = (env: Readonly<Record<string, string | undefined>>): GatewayConfig => {
  const problems: string[] = [];
  const platform = parsePlatformInto(env, problems);
  const reader = envReader(env, problems);
  const { get, int } = reader;
  const environment = parseEnvironment(env, []);
  const tokenKeys = parseKeyRing(get('GATEWAY_TOKEN_KEYS'), get('GATEWAY_TOKEN_SECRET'), problems);
  const keysSet = get('GATEWAY_TOKEN_KEYS') !== undefined || get('GATEWAY_TOKEN_SECRET') !== undefined;
  for (const k of tokenKeys) checkSecret(environment, problems, { name: keysSet ? `the secret of token key ${k.kid} (GATEWAY_TOKEN_KEYS or GATEWAY_TOKEN_SECRET)` : 'GATEWAY_TOKEN_SECRET', value: k.secret, wasSet: keysSet });
  const operatorToken = get('OPERATOR_TOKEN') ?? DEV_OPERATOR_TOKEN;
  checkSecret(environment, problems, { name: 'OPERATOR_TOKEN', value: operatorToken, wasSet: get('OPERATOR_TOKEN') !== undefined });
  const listener = parseListener(reader, environment, problems, { prefix: 'GATEWAY', defaultPort: 8090, tlsCapable: true, clientCerts: 'optional' });
  const config = {
    platform,
    port: listener.port,
    host: listener.host,
    tls: listener.tls,
    instanceId: env['GATEWAY_INSTANCE_ID']?.trim() || `gw-${process.pid}`,
    tokenKeys,
    tokenTtlMs: int('GATEWAY_TOKEN_TTL_SEC', 30 * 86_400, 60, 400 * 86_400) * 1000,
    maxConnectionsPerDevice: int('GATEWAY_DEVICE_MAX_CONNECTIONS', 2, 1, 100),
    maxSeqJump: int('GATEWAY_MAX_SEQ_JUMP', 600_000, 1, 1_000_000_000_000),
    operatorToken,
    usesDevelopmentSecrets: tokenKeys.some((k) => k.secret === DEV_TOKEN_SECRET) || operatorToken === DEV_OPERATOR_TOKEN,
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
