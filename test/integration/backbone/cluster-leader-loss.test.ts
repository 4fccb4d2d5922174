// Three KRaft brokers (replication 3, min.insync.replicas 2), a gateway taking telemetry from
// devices and control's commands (through control's own command writer), and the leader of the
// busiest telemetry partitions SIGKILLed mid-stream. Nothing acknowledged may be lost: every
// (device, seq) a device saw acknowledged is in telemetry.v1, every command control's writer
// confirmed reaches its device, every device ack reaches control.acks.v1, and the gateway carries
// on without a restart. The figures (time to recover, frames acknowledged during the fault) are
// printed as one JSON line and recorded in docs/operations.md.
//
// The cluster is a stack of its own (Kafka only, ports GRIDFLEET_TEST_PORT_BASE+9192..9197, state
// in the test state folder + "-cluster"); the registry is the test stack's.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAvroCodec, createRegistryClient } from '../../../services/platform/avro-codec.ts';
import { parseConfig } from '../../../services/platform/config.ts';
import type { SiteCommand } from '../../../services/platform/events.ts';
import { createKafkaAdapter, type KafkaAdapter } from '../../../services/platform/kafka.ts';
import { createLogger } from '../../../services/platform/logger.ts';
import { topicCatalog, TopicNames } from '../../../services/platform/topics.ts';
import { createStack, type Stack } from '../../../services/embedded/stack/stack.ts';
import { kafkaNodeName } from '../../../services/embedded/stack/kafka-part.ts';
import { connectDevice, type DeviceClient } from '../../../services/edge/simulator/device-client.ts';
import { parseGatewayConfig } from '../../../services/operational/gateway/config.ts';
import { startGateway, type Gateway } from '../../../services/operational/gateway/gateway.ts';
import { createCommandWriter, type CommandWriter } from '../../../services/operational/control/command-writer.ts';
import { frame, OPERATOR, provisionSites, type ProvisionedDevice } from '../../support/gateway-fixture.ts';
import { freshName, TEST_STACK_ENV } from '../../support/stack-env.ts';

const base = Number(process.env['GRIDFLEET_TEST_PORT_BASE'] ?? '10000');
const CLUSTER_ENV: Record<string, string> = {
  ...TEST_STACK_ENV,
  GRIDFLEET_STATE_DIR: `${TEST_STACK_ENV['GRIDFLEET_STATE_DIR'] ?? '.state/test'}-cluster`,
  KAFKA_PORT: String(base + 9192),
  KAFKA_CONTROLLER_PORT: String(base + 9193),
  KAFKA_BROKER_COUNT: '3',
  KAFKA_HEAP_MB: '384',
};
const SITES = 12;
const FRAME_EVERY_MS = 100;
const COMMAND_EVERY_MS = 200;
/** The topics the gateway and control's writer use. */
const TOPICS = new Set<string>([TopicNames.telemetry, TopicNames.assetRegistry, TopicNames.controlCommands, TopicNames.controlAcks, TopicNames.fleetForecasts, TopicNames.deadLetters]);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const until = async (what: string, check: () => boolean | Promise<boolean>, ms: number): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(100);
  }
};

const command = (siteId: string, nowMs: number): SiteCommand => ({
  commandId: freshName('cmd'), eventId: null, siteId, kind: 'DISCHARGE', powerKw: 2, reservePct: null,
  startMs: nowMs, endMs: nowMs + 600_000, expiresAtMs: nowMs + 300_000, issuedAtMs: nowMs,
});

describe('three brokers: the leader of telemetry partitions is SIGKILLed while the gateway takes telemetry and commands', () => {
  const config = parseConfig(CLUSTER_ENV);
  const logger = createLogger('error', { service: 'cluster-test' });
  const codec = createAvroCodec({ registry: createRegistryClient(config.registryUrl) });
  let stack: Stack;
  let kafka: KafkaAdapter;
  let gw: Gateway | undefined;

  beforeAll(async () => {
    stack = createStack(config, createLogger('error', { service: 'cluster-stack' }));
    await stack.up(['kafka']);
    kafka = createKafkaAdapter({ brokers: config.kafkaBrokers, clientId: 'cluster-test', logger });
    const admin = await kafka.admin();
    try {
      await admin.ensureTopics(topicCatalog({ replicationFactor: config.kafkaReplicationFactor }).filter((t) => TOPICS.has(t.name)));
    } finally {
      await admin.disconnect();
    }
  }, 180_000);

  afterAll(async () => {
    await gw?.close().catch(() => undefined);
    await stack?.down(['kafka']);
  }, 120_000);

  it('loses no acknowledged frame and no command; the gateway carries on', async () => {
    const gwConfig = parseGatewayConfig({ ...CLUSTER_ENV, GATEWAY_PORT: '0', OPERATOR_TOKEN: OPERATOR, GATEWAY_INSTANCE_ID: freshName('gw') });
    expect(gwConfig.platform.kafkaBrokers).toHaveLength(3);
    const gateway = await startGateway(gwConfig, { kafka, codec, logger: logger.child({ service: 'gateway' }) });
    gw = gateway;
    const devices: ProvisionedDevice[] = await provisionSites(gateway.url, SITES);
    const admin = await kafka.admin();
    const telemetryBefore = await admin.topicOffsets(TopicNames.telemetry);
    const acksBefore = await admin.topicOffsets(TopicNames.controlAcks);

    // Devices: a frame every 100 ms each; every command is acknowledged as soon as it arrives.
    const received = new Map<string, string[]>();
    const clients: DeviceClient[] = devices.map((d) => {
      const client: DeviceClient = connectDevice({
        url: gateway.url, token: d.token, random: Math.random, maxBuffer: 10_000,
        onCommand: (c) => {
          received.set(d.siteId, [...(received.get(d.siteId) ?? []), c.commandId]);
          client.sendAck({ commandId: c.commandId, status: 'ACCEPTED', reason: null, ackedAtMs: Date.now() });
        },
      });
      return client;
    });
    // When each device last had a frame acknowledged, sampled every 50 ms.
    const lastAccepted = devices.map(() => ({ count: 0, atMs: Date.now() }));
    const gaps = devices.map(() => [] as Array<{ fromMs: number; toMs: number }>);
    let seq = 0;
    let sending = true;
    const telemetryLoop = (async () => {
      while (sending) {
        seq++;
        for (const c of clients) c.sendTelemetry(frame(seq, Date.now()));
        await sleep(FRAME_EVERY_MS);
      }
    })();
    const sampler = setInterval(() => {
      const now = Date.now();
      clients.forEach((c, i) => {
        const l = lastAccepted[i];
        if (l === undefined) return;
        const n = c.stats().accepted;
        if (n > l.count) {
          if (now - l.atMs > 500) gaps[i]?.push({ fromMs: l.atMs, toMs: now });
          l.count = n;
          l.atMs = now;
        }
      });
    }, 50);

    // Control's own command writer; a dispatch that fails is sent again, as control does.
    const writer: CommandWriter = await createCommandWriter({ kafka, codec, origin: 'cluster-test' });
    const confirmed: SiteCommand[] = [];
    let failedDispatches = 0;
    let dispatching = true;
    let next = 0;
    const commandLoop = (async () => {
      while (dispatching) {
        const d = devices[next++ % devices.length];
        if (d === undefined) break;
        const c = command(d.siteId, Date.now());
        for (;;) {
          try {
            await writer.publish([c]);
            confirmed.push(c);
            break;
          } catch {
            if (!dispatching) return;
            failedDispatches++;
            await sleep(200);
          }
        }
        await sleep(COMMAND_EVERY_MS);
      }
    })();

    try {
      await until('devices streaming', () => clients.every((c) => c.stats().accepted > 20) && confirmed.length > 10, 60_000);

      // The victim: the broker leading most of the telemetry partitions this test writes to.
      const advanced = await (async (): Promise<Set<number>> => {
        const now = await admin.topicOffsets(TopicNames.telemetry);
        const from = new Map(telemetryBefore.map((o) => [o.partition, o.high]));
        return new Set(now.filter((o) => o.high !== from.get(o.partition)).map((o) => o.partition));
      })();
      const leaders = await admin.partitionLeaders(TopicNames.telemetry);
      const led = new Map<number, number>();
      for (const p of leaders) if (advanced.has(p.partition)) led.set(p.leader, (led.get(p.leader) ?? 0) + 1);
      const [victim, victimPartitions] = [...led].sort((a, b) => b[1] - a[1])[0] ?? [0, 0];
      expect(victimPartitions).toBeGreaterThan(0);
      const pid = Number(readFileSync(stack.layout.pidFile(kafkaNodeName(victim, 3)), 'utf8').trim());
      const acceptedAtKill = clients.reduce((a, c) => a + c.stats().accepted, 0);
      const confirmedAtKill = confirmed.length;
      const killedAtMs = Date.now();
      process.kill(pid, 'SIGKILL');

      // New leaders for every partition it led (the controller fences it after its session timeout).
      await until('new leaders elected', async () => {
        const now = await admin.partitionLeaders(TopicNames.telemetry).catch(() => []);
        return now.length > 0 && now.every((p) => p.leader !== victim && p.leader >= 0);
      }, 60_000);
      const leadersMovedMs = Date.now() - killedAtMs;
      // Recovered: every device has had a frame acknowledged after it sent one following the kill.
      const countsAtKill = clients.map((c) => c.stats().accepted);
      await until('every device acknowledged again', () => clients.every((c, i) => c.stats().accepted > (countsAtKill[i] ?? 0) + 5), 60_000);
      const recoveredMs = Date.now() - killedAtMs;
      const acceptedDuringFault = clients.reduce((a, c) => a + c.stats().accepted, 0) - acceptedAtKill;
      const confirmedDuringFault = confirmed.length - confirmedAtKill;
      // Carry on for a while on two brokers.
      const confirmedAfter = confirmed.length;
      await sleep(5_000);
      expect(confirmed.length).toBeGreaterThan(confirmedAfter);

      sending = false;
      await telemetryLoop;
      dispatching = false;
      await commandLoop;
      const flushed = await Promise.all(clients.map((c) => c.flushed(60_000)));
      expect(flushed.every(Boolean)).toBe(true);
      clearInterval(sampler);

      // Every acknowledged frame is in telemetry.v1 (reconciled by (device, seq); the offsets are where this test began).
      const found = new Map<string, Set<number>>();
      for (const r of await kafka.readAll(TopicNames.telemetry, { fromOffsets: telemetryBefore })) {
        const d = await codec.decode(TopicNames.telemetry, r.value ?? Buffer.alloc(0));
        if (d.ok) found.set(d.value.deviceId, (found.get(d.value.deviceId) ?? new Set()).add(d.value.seq));
      }
      for (const [i, d] of devices.entries()) {
        const s = clients[i]?.stats();
        expect({ rejected: s?.rejected, dropped: s?.dropped }).toEqual({ rejected: 0, dropped: 0 });
        const seqs = found.get(d.deviceId) ?? new Set();
        const missing = Array.from({ length: seq }, (_, k) => k + 1).filter((n) => !seqs.has(n));
        expect(missing, `${d.deviceId} ${JSON.stringify(s)}`).toEqual([]);
      }

      // Every confirmed command reached its device, and each device's ack is in control.acks.v1.
      await until('every command delivered', () => confirmed.every((c) => received.get(c.siteId)?.includes(c.commandId) === true), 30_000);
      const wanted = new Set(confirmed.map((c) => c.commandId));
      const acked = new Set<string>();
      await until('every ack in control.acks.v1', async () => {
        for (const r of await kafka.readAll(TopicNames.controlAcks, { fromOffsets: acksBefore })) {
          const d = await codec.decode(TopicNames.controlAcks, r.value ?? Buffer.alloc(0));
          if (d.ok && wanted.has(d.value.commandId)) acked.add(d.value.commandId);
        }
        return acked.size === wanted.size;
      }, 60_000);

      const longestGapMs = Math.max(0, ...gaps.flat().filter((g) => g.toMs >= killedAtMs).map((g) => g.toMs - g.fromMs));
      process.stdout.write(`${JSON.stringify({
        leaderLoss: {
          victim, victimTelemetryPartitions: victimPartitions, leadersMovedMs, recoveredMs, longestDeviceGapMs: longestGapMs,
          framesAcceptedDuringFault: acceptedDuringFault, commandsConfirmedDuringFault: confirmedDuringFault, failedDispatches,
          frames: seq * SITES, commands: confirmed.length, acks: acked.size,
        },
      })}\n`);
      expect(acked.size).toBe(wanted.size);
      expect(await admin.partitionLeaders(TopicNames.telemetry)).toSatisfy((ps: Array<{ leader: number }>) => ps.every((p) => p.leader !== victim));
    } finally {
      sending = false;
      dispatching = false;
      clearInterval(sampler);
      for (const c of clients) c.close();
      await writer.close().catch(() => undefined);
      await admin.disconnect();
    }
  }, 240_000);
});
