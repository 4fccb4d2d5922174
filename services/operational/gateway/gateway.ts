/**
 * The device gateway: WebSocket (push mode) and HTTP (poll mode) for devices, the provisioning
 * API for operators, /metrics and /healthz. Wires the pure core (protocol, credentials, directory,
 * validation, rate limits, delivery state) to Kafka through the platform adapter.
 */
import { WebSocketServer, type WebSocket } from 'ws';
import type { AvroCodec } from '../../platform/avro-codec.ts';
import type { ForecastBundle, SiteCommand } from '../../platform/events.ts';
import { clockFor, systemClock, type Clock } from '../../platform/clock.ts';
import type { KafkaAdapter } from '../../platform/kafka.ts';
import type { Logger } from '../../platform/logger.ts';
import { TopicNames } from '../../platform/topics.ts';
import type { GatewayConfig } from './config.ts';
import { bearerOf, verifyDeviceToken, type DeviceClaims } from './credentials.ts';
import type { PresentedCertificate } from './client-certificate.ts';
import { createDeadLetterSink } from './dead-letter-sink.ts';
import { acceptBundle, acceptCommand, emptyDeliveryState, etagMatches, liveCommands, pollAnswer } from './delivery-state.ts';
import { admit, applyDefinition, emptyDirectory, type DeviceInfo } from './device-directory.ts';
import { PROTOCOL_VERSION, type GatewayFrame } from '../../platform/device-protocol.ts';
import { createFanout } from './fanout.ts';
import { createFrameHandler, newDeviceLimit, newSession, type DeviceLimit, type Session } from './frame-handler.ts';
import { listen } from '../../platform/http-server.ts';
import { attachDeviceUpgrade } from './device-upgrade.ts';
import { createGatewayHttp, type DeviceAuth } from './gateway-http.ts';
import { follow } from '../../platform/topic-feed.ts';
import { openTopicWriter } from '../../platform/topic-writer.ts';
import { createGatewayMetrics } from './metrics.ts';
import { createOperatorApi } from './operator-api.ts';
import { createReadGate } from './read-gate.ts';
import { createSiteFilter } from './site-filter.ts';
import { createTelemetrySink } from './telemetry-sink.ts';
import type { ReplayWindow } from './replay-window.ts';

export interface Gateway {
  readonly url: string;
  readonly metrics: ReturnType<typeof createGatewayMetrics>;
  connections(): number;
  close(): Promise<void>;
}

interface PushSession extends Session {
  readonly socket: WebSocket;
  readonly iat: number;
}

export const startGateway = async (config: GatewayConfig, deps: { kafka: KafkaAdapter; codec: AvroCodec; logger: Logger; wall?: Clock; random?: () => number }): Promise<Gateway> => {
  const { kafka, codec, logger } = deps;
  const wall = deps.wall ?? systemClock;
  const clock = clockFor(config.platform.sim, wall);
  // Three writers, so the paths never queue behind each other: telemetry (2 requests in flight;
  // with 4, each 5 ms batch went out as up to 4 requests, 260 produce requests/s for 500 frames/s),
  // the control path (device acks, provisioning; small records gathered for 3 ms into one request)
  // and dead letters (a flood of bad frames waits only on itself).
  const [telemetryWriter, controlWriter, deadLetterWriter] = await Promise.all([
    openTopicWriter({ kafka, codec, lanes: 2 }),
    openTopicWriter({ kafka, codec, lanes: 1, lingerMs: 3 }),
    openTopicWriter({ kafka, codec, lanes: 1 }),
  ]);
  const directory = emptyDirectory();
  const delivery = emptyDeliveryState();
  const replay = new Map<string, ReplayWindow>();
  const bySite = new Map<string, Set<PushSession>>();
  const pollSessions = new Map<string, Session>();
  // One rate limit per device across its sockets and the poll API (frame-handler.ts DeviceLimit).
  const limits = new Map<string, DeviceLimit>();
  const limitOf = (deviceId: string): DeviceLimit => {
    let l = limits.get(deviceId);
    if (l === undefined) {
      l = newDeviceLimit(config.devicePolicy, wall.now());
      limits.set(deviceId, l);
    }
    return l;
  };
  const socketsOf = new Map<string, number>();

  // Frames gathered for 10 ms: a device's acknowledgement waits that much longer, and the broker and
  // this process see a produce request per 10 ms instead of per 5 (per-request work is most of
  // what telemetry costs them at live rates: kafkajs's request encoding, the broker's append).
  const sink = createTelemetrySink({ writer: telemetryWriter, lingerMs: 10, maxPending: config.maxPending, observeLatencySec: (s) => metrics.produceLatency.observe(s) });
  const metrics = createGatewayMetrics({ pendingFrames: () => sink.pending() });
  const deadLetters = createDeadLetterSink({ writer: deadLetterWriter, service: 'gateway', logger, count: (result, n) => metrics.deadLetters.inc({ result }, n) });
  const handler = createFrameHandler({
    sink, deadLetters, delivery, replay, clock, wall, metrics,
    skewMs: config.skewMs, maxAgeMs: config.maxAgeMs, maxFrameBytes: config.maxFrameBytes, policy: config.devicePolicy, maxSeqJump: config.maxSeqJump,
    publishAck: async (ack) => {
      await controlWriter.publish(TopicNames.controlAcks, [{ key: ack.siteId, value: ack }]);
    },
  });

  const sendTo = (s: PushSession, frame: GatewayFrame): void => {
    if (s.socket.readyState === s.socket.OPEN) s.socket.send(JSON.stringify(frame));
  };
  const fanout = createFanout<string>({
    ratePerSec: config.fanoutPerSec, jitterMs: config.fanoutJitterMs, random: deps.random ?? Math.random, now: () => wall.now(),
    deliver: (siteId) => {
      const bundle = delivery.bundles.get(siteId);
      if (!bundle) return;
      for (const s of bySite.get(siteId) ?? []) {
        sendTo(s, { type: 'forecast', bundle });
        metrics.deliveries.inc({ kind: 'forecast', mode: 'push' });
      }
    },
  });

  const readGate = createReadGate(function* () {
    for (const set of bySite.values()) for (const s of set) yield s.socket;
  });
  sink.onPressure((paused) => {
    metrics.backpressure.set(paused ? 1 : 0);
    readGate.set(paused);
    logger.warn(paused ? 'backpressure: Kafka is slow, stopped reading from devices' : 'backpressure released');
  });

  const connectionCount = (): number => [...bySite.values()].reduce((a, set) => a + set.size, 0);

  const closeRevoked = (deviceId: string, revokedBeforeMs: number): void => {
    for (const set of bySite.values()) {
      for (const s of set) if (s.device.deviceId === deviceId && s.iat < revokedBeforeMs) s.socket.close(4003, 'REVOKED: credentials revoked');
    }
    pollSessions.delete(deviceId);
  };

  const onCommand = (cmd: SiteCommand): void => {
    if (!acceptCommand(delivery, cmd, clock.now())) return;
    // Commands skip the fan-out queue: they are per site already, and control latency matters.
    for (const s of bySite.get(cmd.siteId) ?? []) {
      sendTo(s, { type: 'command', command: cmd });
      metrics.deliveries.inc({ kind: 'command', mode: 'push' });
    }
  };
  const onBundle = (bundle: ForecastBundle): void => {
    if (acceptBundle(delivery, bundle) && bySite.has(bundle.siteId)) fanout.enqueue(bundle.siteId);
  };
  const sites = createSiteFilter({ codec, onCommand, onBundle, onUndecodable: (topic, error) => logger.warn('undecodable record skipped', { topic, error }) });

  const groupPrefix = `gateway-${config.instanceId}`;
  const feeds = await Promise.all([
    follow({ kafka, codec, topic: TopicNames.assetRegistry, groupPrefix, logger, onRecord: (key, def) => {
      if (key === null) return;
      applyDefinition(directory, key, def);
      if (def?.credentialsRevokedBeforeMs != null) closeRevoked(key, def.credentialsRevokedBeforeMs);
    } }),
    // Only the sites connected here are decoded (site-filter.ts). Commands: the broker answers a
    // fetch as soon as it has a byte (lowest latency); bundles: up to 250 ms for 256 KiB, so a
    // forecast run arrives in large batches instead of many small ones.
    follow({ kafka, codec, topic: TopicNames.controlCommands, groupPrefix, logger, keep: sites.keep, onSkipped: sites.parkCommand,
      fetch: { minBytes: 1, maxWaitTimeInMs: 500 },
      onRecord: (_k, cmd) => {
        if (cmd !== null) onCommand(cmd);
      } }),
    follow({ kafka, codec, topic: TopicNames.fleetForecasts, groupPrefix, logger, keep: sites.keep, onSkipped: sites.parkBundle,
      fetch: { minBytes: 256 * 1024, maxWaitTimeInMs: 250 },
      onRecord: (_k, bundle) => {
        if (bundle !== null) onBundle(bundle);
      } }),
  ]);
  await feeds[0].caughtUp;

  const authenticate = async (authorization: string | undefined, token: string | undefined, cert: PresentedCertificate | null): Promise<DeviceAuth> => {
    // A certificate, when presented, is judged first (client-certificate.ts): an invalid one is refused whatever else comes with it.
    if (cert !== null && !cert.ok) return { ok: false, status: 401, rejection: { code: 'UNAUTHENTICATED', message: cert.message } };
    const given = bearerOf(authorization, token);
    if (given === undefined && cert === null) return { ok: false, status: 401, rejection: { code: 'UNAUTHENTICATED', message: 'no credential: send Authorization: Bearer <device token>' } };
    let claims: Pick<DeviceClaims, 'sub' | 'site' | 'iat'> | undefined;
    if (given !== undefined) {
      const verified = await verifyDeviceToken(config.tokenKeys, given, wall.now());
      if (!verified.ok) return { ok: false, status: 401, rejection: { code: 'UNAUTHENTICATED', message: verified.error.message } };
      if (cert !== null && verified.value.sub !== cert.deviceId) return { ok: false, status: 403, rejection: { code: 'FORBIDDEN', message: `the client certificate names device ${cert.deviceId} but the credential names ${verified.value.sub}` } };
      claims = verified.value;
    }
    if (claims === undefined && cert !== null) {
      // The certificate alone: the site is the directory's, the issue time its notBefore (for revocation).
      const info = directory.devices.get(cert.deviceId);
      claims = { sub: cert.deviceId, site: info?.siteId ?? '', iat: cert.notBeforeMs };
    }
    if (claims === undefined) throw new Error('authenticate: neither a credential nor a certificate');
    const admitted = admit(directory, claims);
    if (!admitted.ok) return { ok: false, status: admitted.error.code === 'UNKNOWN_DEVICE' ? 404 : 403, rejection: admitted.error };
    // Before a session of the site exists: what was kept for it is applied now, and sent once when it opens.
    sites.claim(admitted.value.siteId);
    return { ok: true, device: admitted.value, iat: claims.iat };
  };
  const pollSession = (device: DeviceInfo): Session => {
    const session = pollSessions.get(device.deviceId) ?? newSession(device, 'poll', config.devicePolicy, wall.now(), limitOf(device.deviceId));
    pollSessions.set(device.deviceId, session);
    return session;
  };
  const countReject = (code: string): void => void metrics.rejects.inc({ code });

  const app = await createGatewayHttp({
    logger, registry: metrics.registry, tls: config.tls, operatorToken: config.operatorToken, maxFrameBytes: config.maxFrameBytes, authenticate, countReject,
    operator: createOperatorApi({ writer: controlWriter, directory, tokenKeys: config.tokenKeys, tokenTtlMs: config.tokenTtlMs, wall, onRevoked: closeRevoked }),
    health: () => ({ status: 'ok', instanceId: config.instanceId, devices: directory.devices.size, connections: connectionCount(), pendingFrames: sink.pending() }),
    poll: (device, ifNoneMatch) => {
      pollSession(device);
      const answer = pollAnswer(delivery, device.siteId, clock.now());
      if (etagMatches(ifNoneMatch, answer.etag)) {
        metrics.polls.inc({ status: '304' });
        return { kind: 'not-modified', etag: answer.etag };
      }
      metrics.polls.inc({ status: '200' });
      metrics.deliveries.inc({ kind: 'forecast', mode: 'poll' }, answer.body.forecast ? 1 : 0);
      metrics.deliveries.inc({ kind: 'command', mode: 'poll' }, answer.body.commands.length);
      return { kind: 'answer', answer };
    },
    frames: (device, values) => {
      const session = pollSession(device);
      if (sink.pending() >= config.maxPending) return null;
      // Started in order (checks are synchronous), awaited together.
      return Promise.all(values.map(async (v) => (await handler.handleValue(session, v)) ?? { type: 'ok' as const }));
    },
  });
  const server = app.server;
  // Hard cap per WebSocket message: a message above maxFrameBytes but within the cap is read and
  // refused with an OVERSIZED error frame (the device stays connected); ws does not read one above
  // the cap and closes the socket with 1009 (handled in the 'error' listener below).
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.wsMaxMessageBytes });

  attachDeviceUpgrade({
    server, wss, logger, authenticate, countReject,
    // Checked before the handshake; counted from the handshake to the close.
    admitSocket: (device) => ((socketsOf.get(device.deviceId) ?? 0) >= config.maxConnectionsPerDevice
      ? { code: 'TOO_MANY_CONNECTIONS', message: `device ${device.deviceId} has ${config.maxConnectionsPerDevice} open connections already (GATEWAY_DEVICE_MAX_CONNECTIONS); close one first` }
      : null),
    onDevice: (ws, device, iat) => {
      socketsOf.set(device.deviceId, (socketsOf.get(device.deviceId) ?? 0) + 1);
      const s: PushSession = { ...newSession(device, 'push', config.devicePolicy, wall.now(), limitOf(device.deviceId)), socket: ws, iat };
      const set = bySite.get(s.device.siteId) ?? new Set();
      set.add(s);
      bySite.set(s.device.siteId, set);
      metrics.connections.inc();
      readGate.admit(ws);
      sendTo(s, { type: 'welcome', protocol: PROTOCOL_VERSION, deviceId: s.device.deviceId, siteId: s.device.siteId, serverTimeMs: clock.now() });
      const bundle = delivery.bundles.get(s.device.siteId);
      if (bundle) sendTo(s, { type: 'forecast', bundle });
      for (const command of liveCommands(delivery, s.device.siteId, clock.now())) sendTo(s, { type: 'command', command });
      ws.on('message', (data, isBinary) => {
        const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
        // Not awaited in sequence on purpose: checks run synchronously in arrival order (see frame-handler.ts).
        handler
          .handleMessage(s, bytes, isBinary)
          .then((reply) => {
            if (reply) sendTo(s, reply);
            if (s.disconnect) ws.close(4008, 'THROTTLED: rate limit exceeded for too long');
          })
          .catch((e: unknown) => logger.error('frame handling failed', { deviceId: s.device.deviceId, error: e instanceof Error ? e.message : String(e) }));
      });
      ws.on('close', () => {
        const open = (socketsOf.get(device.deviceId) ?? 1) - 1;
        if (open > 0) socketsOf.set(device.deviceId, open);
        else socketsOf.delete(device.deviceId);
        set.delete(s);
        if (set.size === 0) bySite.delete(s.device.siteId);
        metrics.connections.dec();
      });
      ws.on('error', (e: Error & { code?: string }) => {
        if (e.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
          // ws has sent the 1009 close frame already; terminating now could drop it before the
          // device reads it, so the close handshake (bounded by ws's own timeout) ends the socket.
          const cap = config.wsMaxMessageBytes;
          handler.recordUnreadable(s, { code: 'OVERSIZED', message: `message of more than ${cap} bytes (the WebSocket hard cap) not read; connection closed with 1009` }, cap + 1);
          return;
        }
        ws.terminate();
      });
    },
  });

  const { port } = await listen(app, config.port, config.host);
  logger.info('gateway listening', { port, devices: directory.devices.size, instanceId: config.instanceId });

  return {
    url: `${config.tls === null ? 'http' : 'https'}://127.0.0.1:${port}`,
    metrics,
    connections: connectionCount,
    async close() {
      fanout.stop();
      for (const c of wss.clients) c.close(1001, 'gateway stopping');
      wss.close();
      await app.close();
      await sink.drain();
      await deadLetters.drain();
      await Promise.all(feeds.map((f) => f.stop()));
      await Promise.all([telemetryWriter.close(), controlWriter.close(), deadLetterWriter.close()]);
    },
  };
};
