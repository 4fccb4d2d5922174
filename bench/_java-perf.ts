/**
 * Kafka's own Java clients as the yardstick of the backbone bench: `ProducerPerformance` and
 * `ConsumerPerformance` from the kafka-tools jar (Maven Central, resolved like the broker:
 * infra/kafka/tools-pom.xml into the stack's cache), run against the bench's broker with the
 * adapter's settings (acks=-1, idempotent, no compression, the record size of an Avro telemetry
 * event, keys over the same 10,000 sites, a topic with telemetry.v1's partition count and configs).
 *
 * Parsing is pure (the tools' last summary lines); running them is the one effect here.
 */
import { spawn } from 'node:child_process';
import type { Config } from '../services/platform/config.ts';
import { kafkaJarDir, resolveKafkaJars } from '../services/embedded/stack/kafka-part.ts';
import type { StackLayout } from '../services/embedded/stack/layout.ts';

/** The records/s of ProducerPerformance's final summary ("N records sent, R records/sec (...), ..."). */
export const parseProducerPerformance = (out: string): { recordsPerSec: number; avgLatencyMs: number } | undefined => {
  const lines = out.split('\n').filter((l) => / records sent, [\d.]+ records\/sec/.test(l));
  const last = lines[lines.length - 1];
  if (last === undefined) return undefined;
  const rate = / ([\d.]+) records\/sec/.exec(last)?.[1];
  const latency = /([\d.]+) ms avg latency/.exec(last)?.[1];
  return { recordsPerSec: Number(rate), avgLatencyMs: Number(latency ?? 'NaN') };
};

/** ConsumerPerformance's CSV line under its header: nMsg.sec over the whole run (group join included) and fetch.nMsg.sec (fetching only). */
export const parseConsumerPerformance = (out: string): { recordsPerSec: number; fetchRecordsPerSec: number; records: number } | undefined => {
  const lines = out.split('\n').map((l) => l.trim());
  const h = lines.findIndex((l) => l.startsWith('start.time'));
  if (h < 0) return undefined;
  const header = (lines[h] ?? '').split(',').map((s) => s.trim());
  const row = lines.slice(h + 1).find((l) => l.split(',').length === header.length);
  if (row === undefined) return undefined;
  const values = row.split(',').map((s) => s.trim());
  const col = (name: string): number => Number(values[header.indexOf(name)] ?? 'NaN');
  return { recordsPerSec: col('nMsg.sec'), fetchRecordsPerSec: col('fetch.nMsg.sec'), records: col('data.consumed.in.nMsg') };
};

const runJava = (classPath: string, main: string, args: readonly string[], timeoutMs: number): Promise<string> =>
  new Promise((resolve, reject) => {
    const child = spawn('java', ['-Xms256m', '-Xmx512m', '-XX:+UseG1GC', '-cp', classPath, main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${main} exited ${String(code ?? signal)}:\n${out.slice(-2000)}`));
    });
  });

export interface JavaPerfOptions {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly records: number;
  readonly recordBytes: number;
  readonly keyRange: number;
}

export const javaTools = async (config: Pick<Config, 'kafkaVersion'>, layout: Pick<StackLayout, 'cacheDir'>) => {
  await resolveKafkaJars(config, layout, 'tools');
  const cp = `${kafkaJarDir(config, layout, 'tools')}/*`;
  return {
    produce: async (o: JavaPerfOptions) => {
      const out = await runJava(cp, 'org.apache.kafka.tools.ProducerPerformance', [
        '--bootstrap-server', o.brokers.join(','), '--topic', o.topic, '--num-records', String(o.records), '--record-size', String(o.recordBytes),
        '--throughput', '-1', '--key-distribution', 'range', '--record-key-range', String(o.keyRange), '--reporting-interval', '60000',
        '--command-property', 'acks=-1', 'enable.idempotence=true', 'compression.type=none', 'client.id=bench-java-producer',
      ], 300_000);
      const r = parseProducerPerformance(out);
      if (r === undefined) throw new Error(`no summary from ProducerPerformance:\n${out.slice(-2000)}`);
      return r;
    },
    consume: async (o: Omit<JavaPerfOptions, 'recordBytes' | 'keyRange'>) => {
      const out = await runJava(cp, 'org.apache.kafka.tools.ConsumerPerformance', [
        '--bootstrap-server', o.brokers.join(','), '--topic', o.topic, '--num-records', String(o.records), '--group', `bench-java-${Date.now()}`, '--timeout', '30000',
      ], 300_000);
      const r = parseConsumerPerformance(out);
      if (r === undefined) throw new Error(`no summary from ConsumerPerformance:\n${out.slice(-2000)}`);
      return r;
    },
  };
};
