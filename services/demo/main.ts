/**
 * `npm run demo`: the event backbone end to end on the embedded stack. Starts the stack (default
 * ports), provisions a small hierarchy to asset.registry.v1, streams Avro telemetry from simulated
 * sites at 60x, watches it through a consumer group with a live table per region, sends one
 * malformed record and shows it dead-lettered with its reason. Stops by itself; the stack keeps
 * running (npm run stack -- down stops it).
 */
import { createAvroCodec, createRegistryClient } from '../platform/avro-codec.ts';
import { systemClock } from '../platform/clock.ts';
import { parseConfig } from '../platform/config.ts';
import type { Telemetry } from '../platform/events.ts';
import { createKafkaAdapter } from '../platform/kafka.ts';
import { createLogger } from '../platform/logger.ts';
import { TopicNames } from '../platform/topics.ts';
import { createStack } from '../stack/stack.ts';
import { demoFrame, demoHierarchy } from './demo-fleet.ts';

const config = parseConfig(process.env);
const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, { service: 'demo' });
const out = (s: string): void => void process.stdout.write(s + '\n');
const clock = systemClock;
const SPEED = 60;
const SECONDS = 20;

out('gridfleet demo: starting the embedded stack (first run downloads Kafka from Maven Central)...');
const stack = createStack(config, logger);
const up = await stack.up();
out(`stack up in ${up.seconds.toFixed(1)}s: Kafka 127.0.0.1:${config.ports.kafka}, registry ${config.registryUrl}, ClickHouse ${config.clickhouseUrl}, Redis ${config.redisUrl}`);

const kafka = createKafkaAdapter({ brokers: config.kafkaBrokers, clientId: 'gridfleet-demo', logger });
const codec = createAvroCodec({ registry: createRegistryClient(config.registryUrl) });
const producer = await kafka.producer();
const startMs = clock.now();
const { assets, sites } = demoHierarchy(3, 10, startMs);
await producer.send(TopicNames.assetRegistry, await Promise.all(assets.map(async (a) => ({ key: a.assetId, value: await codec.encode(TopicNames.assetRegistry, a) }))));
out(`provisioned ${assets.length} assets (${sites.length} sites in 3 regions) to ${TopicNames.assetRegistry}`);

// The watcher: a consumer group that decodes telemetry, keeps the latest frame per site, and
// dead-letters what it cannot decode, with the reason, instead of stopping.
const latest = new Map<string, Telemetry>();
let frames = 0;
let rejected = 0;
const watcher = await kafka.consumer({ groupId: `demo-watch-${startMs}`, topics: [TopicNames.telemetry], fromBeginning: false });
await watcher.runEach(async (r) => {
  const decoded = await codec.decode(TopicNames.telemetry, r.value ?? Buffer.alloc(0));
  if (decoded.ok) {
    frames++;
    latest.set(decoded.value.siteId, decoded.value);
    return;
  }
  rejected++;
  const payload = r.value ?? Buffer.alloc(0);
  await producer.send(TopicNames.deadLetters, [{
    key: r.topic,
    value: await codec.encode(TopicNames.deadLetters, {
      source: r.topic, service: 'demo-watch', errorCode: 'CODEC_FAILED', reason: decoded.error, originTopic: r.topic,
      originPartition: r.partition, originOffset: Number(r.offset), originKey: r.key, payload: payload.subarray(0, 1024),
      payloadBytes: payload.length, rejectedAtMs: clock.now(),
    }),
  }]);
  out(`  dead-lettered ${r.topic}[${r.partition}]@${r.offset}: ${decoded.error}`);
});
await new Promise((r) => setTimeout(r, 2_000));

const table = (): void => {
  const byRegion = new Map<string, Telemetry[]>();
  for (const s of sites) {
    const t = latest.get(s.siteId);
    if (t) byRegion.set(s.regionId, [...(byRegion.get(s.regionId) ?? []), t]);
  }
  const simHour = new Date(startMs + (clock.now() - startMs) * SPEED).toISOString().slice(11, 16);
  out(`\n  simulated ${simHour} UTC   frames ${frames}   rejected ${rejected}`);
  out('  region     sites  avg soc %  solar kW  load kW  grid kW');
  for (const [region, ts] of [...byRegion.entries()].sort()) {
    const sum = (f: (t: Telemetry) => number): number => ts.reduce((a, t) => a + f(t), 0);
    out(`  ${region.padEnd(10)} ${String(ts.length).padStart(5)}  ${(sum((t) => t.socPct) / ts.length).toFixed(1).padStart(9)}  ${sum((t) => t.solarKw).toFixed(1).padStart(8)}  ${sum((t) => t.loadKw).toFixed(1).padStart(7)}  ${sum((t) => t.gridKw).toFixed(1).padStart(7)}`);
  }
};

out(`streaming telemetry from ${sites.length} sites for ${SECONDS}s at ${SPEED}x (one frame per site per simulated minute)...`);
let seq = 0;
const endAt = clock.now() + SECONDS * 1000;
let nextTable = clock.now() + 4_000;
let sentBad = false;
while (clock.now() < endAt) {
  seq++;
  const simMs = startMs + (clock.now() - startMs) * SPEED;
  await producer.send(TopicNames.telemetry, await Promise.all(sites.map(async (s) => ({ key: s.siteId, value: await codec.encode(TopicNames.telemetry, demoFrame(s, simMs, seq, clock.now())) }))));
  if (!sentBad && seq === 5) {
    sentBad = true;
    await producer.send(TopicNames.telemetry, [{ key: 'site-00001', value: Buffer.from('{"socPct": 250, "note": "JSON instead of Avro"}') }]);
  }
  if (clock.now() >= nextTable) {
    table();
    nextTable += 5_000;
  }
  await new Promise((r) => setTimeout(r, 1_000));
}
await new Promise((r) => setTimeout(r, 1_500));
table();
await watcher.disconnect();
await producer.disconnect();
out(`\ndone: ${frames} frames through ${TopicNames.telemetry}, ${rejected} rejected to ${TopicNames.deadLetters}.`);
out('The stack keeps running: try `npm run stack -- status`, or stop it with `npm run stack -- down`.');
process.exit(0);
