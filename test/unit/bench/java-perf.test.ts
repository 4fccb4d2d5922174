// The backbone bench reads Kafka's Java tools' summaries (lines as kafka-tools 4.4 prints them).
import { describe, expect, it } from 'vitest';
import { parseConsumerPerformance, parseProducerPerformance } from '../../../bench/_java-perf.ts';

describe('Java perf tool summaries', () => {
  it('reads the final summary of ProducerPerformance, not its progress lines', () => {
    const out = [
      'SLF4J: something',
      '120000 records sent, 24000.0 records/sec (2.06 MB/sec), 900.00 ms avg latency, 1500.00 ms max latency.',
      '200000 records sent, 151285.900000 records/sec (12.98 MB/sec), 126.25 ms avg latency, 3363.00 ms max latency, 117 ms 50th, 353 ms 95th, 435 ms 99th, 464 ms 99.9th.',
      '',
    ].join('\n');
    expect(parseProducerPerformance(out)).toEqual({ recordsPerSec: 151285.9, avgLatencyMs: 126.25 });
    expect(parseProducerPerformance('Exception in thread "main"')).toBeUndefined();
  });

  it('reads ConsumerPerformance\'s row by its header', () => {
    const out = [
      '[2026-12-03 08:44:08,000] WARN a warning (org.apache.kafka.clients.NetworkClient)',
      'start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec',
      '2026-12-03 08:44:08:037, 2026-12-03 08:44:10:321, 0.4448, 0.1947, 5000, 2189.1419, 1725, 559, 0.7956, 8944.5438',
    ].join('\n');
    expect(parseConsumerPerformance(out)).toEqual({ recordsPerSec: 2189.1419, fetchRecordsPerSec: 8944.5438, records: 5000 });
    expect(parseConsumerPerformance('start.time, end.time\n')).toBeUndefined();
  });
});
