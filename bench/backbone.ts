/**
 * `npm run bench -- backbone [--events=200000] [--batch=500] [--inflight=8] [--lanes=4] [--cold=true] [--java=true]`
 *
 * Starts a stack of its own (ports 2xxxx, a temp state folder), timing a cold start (empty jar
 * cache and an empty Maven repository, so downloads are included; --cold=false skips it) and a
 * warm start. Then, through the Kafka adapter and the Avro codec with the real telemetry schema:
 * produce rate (acks=-1, idempotent producer), consume rate (group, decode every record), and
 * pure Avro encode/decode rates against JSON as the baseline in the same run. Reports each
 * part's memory (RSS) at idle.
 *
 * Produce goes through the typed topic writer (services/platform/topic-writer.ts) as services
 * do: --inflight=N publishes of --batch records are outstanding at once, and the writer's
 * producer has --lanes=M idempotent lanes, i.e. up to M produce requests on the wire, each
 * carrying whatever was published while the previous one was in flight.
 *
 * Then Kafka's own Java clients on the same broker (bench/_java-perf.ts, --java=false skips):
 * ProducerPerformance with the same record size, acks=-1, idempotence, keys over the same 10,000
 * sites and a topic of telemetry.v1's partition count, and ConsumerPerformance reading the
 * adapter's own telemetry records; produceVsJavaRatio and consumeVsJavaRatio are adapter / Java.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAvroCodec, createRegistryClient } from '../services/platform/avro-codec.ts';
import { parseConfig } from '../services/platform/config.ts';
import type { Telemetry } from '../services/platform/events.ts';
import { createKafkaAdapter } from '../services/platform/kafka.ts';
import { createLogger } from '../services/platform/logger.ts';
import { openTopicWriter } from '../services/platform/topic-writer.ts';
import { TopicNames } from '../services/platform/topics.ts';
import { createStack } from '../services/embedded/stack/stack.ts';
import { topicCatalog } from '../services/platform/topics.ts';
import { javaTools } from './_java-perf.ts';
import type { Benchmark } from './types.ts';

const rssMb = (pid: number | undefined): number => {
  if (pid === undefined) return 0;
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
};

const sample = (i: number): Telemetry => ({
  deviceId: `dev-${i % 10_000}`,
  siteId: `site-${i % 10_000}`,
  seq: i,
  measuredAtMs: 1_764_000_000_000 + i * 1000,
  receivedAtMs: 1_764_000_000_040 + i * 1000,
  socPct: (i * 7) % 100,
  batteryKw: ((i % 11) - 5) * 0.7,
  solarKw: (i % 9) * 0.8,
  loadKw: 0.4 + (i % 5) * 0.3,
  gridKw: 0.2,
  batteryTempC: 21 + (i % 7),
  mode: 'SELF_CONSUMPTION',
  alarms: i % 97 === 0 ? ['HIGH_TEMP'] : [],
  activeCommandId: null,
});

const rate = (n: number, ms: number): number => Math.round((n / ms) * 1000);

const bench: Benchmark = {
  name: 'backbone',
  description: 'embedded stack start-up, Kafka produce/consume through the adapter, Avro codec rates',
  async run({ options, progress }) {
    const events = Number(options['events'] ?? 200_000);
    const batch = Number(options['batch'] ?? 500);
    const inflight = Number(options['inflight'] ?? 8);
    const lanes = Number(options['lanes'] ?? 4);
    const cold = (options['cold'] ?? 'true') !== 'false';
    const java = (options['java'] ?? 'true') !== 'false';
    const root = mkdtempSync(join(tmpdir(), 'gridfleet-bench-'));
    const env = {
      GRIDFLEET_STATE_DIR: join(root, 'state'),
      GRIDFLEET_CACHE_DIR: cold ? join(root, 'cache') : '.state/cache',
      KAFKA_PORT: '29092', KAFKA_CONTROLLER_PORT: '29093', REGISTRY_PORT: '28081', CLICKHOUSE_PORT: '28123', REDIS_PORT: '26379',
      LOG_LEVEL: 'warn',
    };
    const config = parseConfig(env);
    const logger = createLogger('warn', { service: 'bench' });
    const stack = createStack(config, logger);
    // A cold start resolves Kafka from Maven Central into an empty local repository.
    if (cold) process.env['MAVEN_OPTS'] = `${process.env['MAVEN_OPTS'] ?? ''} -Dmaven.repo.local=${join(root, 'm2')}`;
    try {
      progress(cold ? 'cold start (downloads included)...' : 'first start (jar cache reused)...');
      const first = await stack.up();
      await stack.down();
      progress('warm start...');
      const warm = await stack.up();
      await new Promise((r) => setTimeout(r, 3_000));
      const status = await stack.status();
      const memory = Object.fromEntries(status.map((s) => [s.name, rssMb(s.pid)]));

      const kafka = createKafkaAdapter({ brokers: config.kafkaBrokers, clientId: 'bench', logger });
      const codec = createAvroCodec({ registry: createRegistryClient(config.registryUrl) });
      const values = Array.from({ length: 10_000 }, (_, i) => sample(i));
      await codec.prepare([TopicNames.telemetry]);

      progress('avro codec...');
      const codecN = 200_000;
      let t = performance.now();
      const encoded: Buffer[] = [];
      for (let i = 0; i < codecN; i++) encoded.push(codec.encodeSync(TopicNames.telemetry, values[i % values.length] ?? sample(i)));
      const encodeMs = performance.now() - t;
      t = performance.now();
      // Warm the (topic, id) decoder once; every decode after it is synchronous.
      await codec.decode(TopicNames.telemetry, encoded[0] ?? Buffer.alloc(0));
      t = performance.now();
      let undecoded = 0;
      for (let i = 0; i < codecN; i++) {
        const d = codec.decode(TopicNames.telemetry, encoded[i] ?? Buffer.alloc(0));
        if (d instanceof Promise || !d.ok) undecoded++;
      }
      const decodeMs = performance.now() - t;
      if (undecoded > 0) throw new Error(`${undecoded} records did not decode synchronously`);
      t = performance.now();
      const json: string[] = [];
      for (let i = 0; i < codecN; i++) json.push(JSON.stringify(values[i % values.length]));
      const jsonEncodeMs = performance.now() - t;
      t = performance.now();
      for (let i = 0; i < codecN; i++) JSON.parse(json[i] ?? '{}');
      const jsonDecodeMs = performance.now() - t;

      progress(`producing ${events} telemetry events (acks=-1, idempotent, publishes of ${batch}, ${inflight} outstanding, ${lanes} lanes)...`);
      const writer = await openTopicWriter({ kafka, codec, lanes });
      t = performance.now();
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < events) {
          const start = next;
          next = Math.min(events, next + batch);
          const records = [];
          for (let i = start; i < next; i++) {
            const v = values[i % values.length] ?? sample(i);
            records.push({ key: v.siteId, value: { ...v, seq: i } });
          }
          await writer.publish(TopicNames.telemetry, records);
        }
      };
      await Promise.all(Array.from({ length: inflight }, worker));
      const produceMs = performance.now() - t;
      await writer.close();

      progress('consuming them in a group, decoding each...');
      const consumer = await kafka.consumer({ groupId: `bench-${Date.now()}`, topics: [TopicNames.telemetry], fromBeginning: true, autoCommit: true });
      let consumed = 0;
      let bad = 0;
      t = performance.now();
      await new Promise<void>((resolve, reject) => {
        consumer
          .runBatches(async (b, ctx) => {
            for (const r of b.records) {
              const d = codec.decode(TopicNames.telemetry, r.value ?? Buffer.alloc(0));
              if (d instanceof Promise) {
                if (!(await d).ok) bad++;
                ctx.resolveOffset(r.offset);
                continue;
              }
              if (!d.ok) bad++;
              ctx.resolveOffset(r.offset);
            }
            consumed += b.records.length;
            await ctx.heartbeat();
            if (consumed >= events) resolve();
          })
          .catch(reject);
      });
      const consumeMs = performance.now() - t;
      await consumer.disconnect();
      if (bad > 0) throw new Error(`${bad} records failed to decode`);
      const avroBytesPerEvent = Math.round(encoded.reduce((a, b) => a + b.length, 0) / codecN);

      let javaProduce: { recordsPerSec: number; avgLatencyMs: number } | undefined;
      let javaConsume: { recordsPerSec: number; fetchRecordsPerSec: number } | undefined;
      if (java) {
        progress('resolving kafka-tools (Maven Central, first run only)...');
        const tools = await javaTools(config, stack.layout);
        const spec = topicCatalog().find((x) => x.name === TopicNames.telemetry);
        if (spec === undefined) throw new Error('telemetry.v1 is not in the catalog');
        const javaTopic = 'bench.java.telemetry';
        const admin = await kafka.admin();
        try {
          await admin.ensureTopics([{ ...spec, name: javaTopic }]);
        } finally {
          await admin.disconnect();
        }
        progress(`Java ProducerPerformance: ${events} records of ${avroBytesPerEvent} bytes, acks=-1, idempotent, ${spec.partitions} partitions...`);
        javaProduce = await tools.produce({ brokers: config.kafkaBrokers, topic: javaTopic, records: events, recordBytes: avroBytesPerEvent, keyRange: 10_000 });
        progress('Java ConsumerPerformance on the adapter\'s telemetry records...');
        javaConsume = await tools.consume({ brokers: config.kafkaBrokers, topic: TopicNames.telemetry, records: events });
      }

      const metrics = {
        produceEventsPerSec: rate(events, produceMs),
        consumeEventsPerSec: rate(consumed, consumeMs),
        avroEncodePerSec: rate(codecN, encodeMs),
        avroDecodePerSec: rate(codecN, decodeMs),
        jsonEncodePerSec: rate(codecN, jsonEncodeMs),
        jsonDecodePerSec: rate(codecN, jsonDecodeMs),
        avroBytesPerEvent,
        jsonBytesPerEvent: Math.round(json.reduce((a, b) => a + Buffer.byteLength(b), 0) / codecN),
        ...(javaProduce === undefined || javaConsume === undefined ? {} : {
          javaProduceEventsPerSec: Math.round(javaProduce.recordsPerSec),
          javaConsumeEventsPerSec: Math.round(javaConsume.recordsPerSec),
          javaConsumeFetchEventsPerSec: Math.round(javaConsume.fetchRecordsPerSec),
          produceVsJavaRatio: Number((rate(events, produceMs) / javaProduce.recordsPerSec).toFixed(2)),
          consumeVsJavaRatio: Number((rate(consumed, consumeMs) / javaConsume.recordsPerSec).toFixed(2)),
        }),
        coldStartSec: Number(first.seconds.toFixed(1)),
        warmStartSec: Number(warm.seconds.toFixed(1)),
        kafkaIdleRssMb: memory['kafka'] ?? 0,
        registryIdleRssMb: memory['registry'] ?? 0,
        redisIdleRssMb: memory['redis'] ?? 0,
        clickhouseIdleRssMb: memory['clickhouse'] ?? 0,
      };
      const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x JSON`;
      return {
        rows: [
          ['produce (acks=-1, Avro telemetry)', `${metrics.produceEventsPerSec} ev/s`],
          ['consume (group, decode each)', `${metrics.consumeEventsPerSec} ev/s`],
          ...(metrics.javaProduceEventsPerSec === undefined ? [] : [
            ['Java ProducerPerformance (same settings)', `${metrics.javaProduceEventsPerSec} ev/s`, `adapter ${String(metrics.produceVsJavaRatio)}x`] as const,
            ['Java ConsumerPerformance (same records)', `${metrics.javaConsumeEventsPerSec} ev/s`, `adapter ${String(metrics.consumeVsJavaRatio)}x`] as const,
          ]),
          ['Avro encode', `${metrics.avroEncodePerSec} /s`, ratio(metrics.avroEncodePerSec, metrics.jsonEncodePerSec)],
          ['Avro decode', `${metrics.avroDecodePerSec} /s`, ratio(metrics.avroDecodePerSec, metrics.jsonDecodePerSec)],
          ['bytes per event (Avro / JSON)', `${metrics.avroBytesPerEvent} / ${metrics.jsonBytesPerEvent}`],
          [cold ? 'cold start (downloads included)' : 'first start (cached jars)', `${metrics.coldStartSec} s`],
          ['warm start', `${metrics.warmStartSec} s`],
          ['idle RSS kafka / registry / redis / clickhouse', `${metrics.kafkaIdleRssMb} / ${metrics.registryIdleRssMb} / ${metrics.redisIdleRssMb} / ${metrics.clickhouseIdleRssMb} MB`],
        ],
        metrics,
        parameters: { events, batch, inflight, lanes, cold, java, kafkaHeapMb: config.kafkaHeapMb },
      };
    } finally {
      await stack.down();
      rmSync(root, { recursive: true, force: true });
    }
  },
};

export default bench;
