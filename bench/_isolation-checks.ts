/**
 * The isolation harness's reconciliation after the recovery phase, on the real parts, and its
 * negative control: the same checks run again on planted bad data (an acknowledged frame that was
 * never written, a duplicate row inserted into ClickHouse for real, an acknowledgement removed, a
 * device's power changed in the recompute) and every one of them must fail, or the harness is
 * not proving anything.
 */
import type { AvroCodec } from '../services/platform/avro-codec.ts';
import type { KafkaAdapter, TopicOffsets } from '../services/platform/kafka.ts';
import { TopicNames } from '../services/platform/topics.ts';
import { waitUntil } from '../services/embedded/stack/processes.ts';
import type { CommandLedger } from './_control-dispatch.ts';
import type { System } from './_control-system.ts';
import {
  checkCommands, checkKafkaToClickHouse, checkRollups, checkTelemetryExactlyOnce, clickhouseQuery, expectedByPartition, readCommandsAndAcks, readPartitionRows, readRowsByFrame, recomputeFleet,
} from './_isolation-reconcile.ts';

export interface Reconciliation {
  readonly exact: boolean;
  readonly problems: string[];
  readonly framesAcknowledged: number;
  readonly framesInKafkaWindow: number;
  readonly commands: number;
  readonly commandsAcknowledged: number;
  readonly commandsExpired: number;
  readonly expiredReasons: Record<string, number>;
  /** Each planted fault and whether the checks caught it. */
  readonly negativeControl: Record<string, boolean>;
  readonly negativeControlFailed: boolean;
}

export const reconcileRun = async (a: {
  sys: System; kafka: KafkaAdapter; codec: AvroCodec; tag: string; ledger: CommandLedger; progress: (l: string) => void; catchUpMs: number;
  startOffsets: { telemetry: readonly TopicOffsets[]; commands: readonly TopicOffsets[]; acks: readonly TopicOffsets[] };
}): Promise<Reconciliation> => {
  const { sys, progress } = a;
  const chUrl = sys.bench.config.clickhouseUrl;
  const prefix = `${a.tag}-`;
  const problems: string[] = [];

  progress('reconciliation: devices stop measuring; waiting until the gateways acknowledged every frame...');
  const buffered = await sys.quiesce(a.catchUpMs);
  if (buffered > 0) problems.push(`${buffered} frames still unacknowledged at the devices after ${a.catchUpMs / 1000} s`);
  const finals = await sys.finals();
  const admin = await a.kafka.admin();
  const endTelemetry = await admin.topicOffsets(TopicNames.telemetry);
  await admin.disconnect();
  const expected = expectedByPartition(a.startOffsets.telemetry, endTelemetry);
  const framesInKafkaWindow = [...expected.values()].reduce((x, y) => x + y, 0);

  progress(`reconciliation: waiting for ingest to land ${framesInKafkaWindow} telemetry records in ClickHouse...`);
  let partitionProblems: string[] = ['not read'];
  await waitUntil(async () => {
    const got = await readPartitionRows(chUrl, a.startOffsets.telemetry, endTelemetry);
    partitionProblems = checkKafkaToClickHouse(expected, got.rowsByPartition, got.duplicateOffsets);
    return partitionProblems.length === 0;
  }, a.catchUpMs, 2_000);
  problems.push(...partitionProblems);
  const rows = await readRowsByFrame(chUrl, prefix);
  const telemetryProblems = checkTelemetryExactlyOnce(finals.devices, rows);
  problems.push(...telemetryProblems);

  progress('reconciliation: commands against acknowledgements...');
  const { commands, acks } = await readCommandsAndAcks(a.kafka, a.codec, { commands: a.startOffsets.commands, acks: a.startOffsets.acks }, prefix);
  const delivered = new Set([...a.ledger.seen().keys()]);
  const cmd = checkCommands(commands, acks, delivered, Date.now());
  problems.push(...cmd.problems);

  progress('reconciliation: the asset actors\' fleet aggregate against a recompute from the newest frames...');
  const recomputed = recomputeFleet(finals.devices);
  let rollupProblems: string[] = [];
  await waitUntil(async () => {
    rollupProblems = checkRollups(await sys.fleetAggregate(), recomputed);
    return rollupProblems.length === 0;
  }, a.catchUpMs, 2_000);
  problems.push(...rollupProblems);

  // Negative control: plant bad data, every check must catch it.
  progress('negative control: planting bad data...');
  const victim = finals.devices.find((d) => d.accepted.length > 0);
  const negative: Record<string, boolean> = {};
  if (victim) {
    const planted = finals.devices.map((d) => (d === victim ? { ...d, accepted: [...d.accepted, (d.accepted.at(-1) ?? 0) + 1_000_000] } : d));
    negative['acknowledged frame missing from ClickHouse'] = checkTelemetryExactlyOnce(planted, rows).length > 0;
    const seq = victim.accepted[0] ?? 1;
    // A real duplicate row, inserted past ClickHouse's own block deduplication.
    await clickhouseQuery(chUrl, 'ingest', 'ingest',
      `INSERT INTO telemetry SELECT * FROM telemetry WHERE device_id = '${victim.deviceId}' AND seq = ${seq} LIMIT 1 SETTINGS insert_deduplicate = 0`);
    negative['duplicate row in ClickHouse (by device and seq)'] = checkTelemetryExactlyOnce(finals.devices, await readRowsByFrame(chUrl, prefix)).length > 0;
    const after = await readPartitionRows(chUrl, a.startOffsets.telemetry, endTelemetry);
    negative['duplicate row in ClickHouse (by partition and offset)'] = checkKafkaToClickHouse(expected, after.rowsByPartition, after.duplicateOffsets).length > 0;
    negative['rollup differs from the recompute'] = checkRollups(await sys.fleetAggregate(), { ...recomputed, batteryKw: (recomputed['batteryKw'] ?? 0) + 1 }).length > 0;
  }
  const ackedDelivered = acks.find((x) => delivered.has(x.commandId));
  if (ackedDelivered) negative['acknowledgement lost'] = checkCommands(commands, acks.filter((x) => x !== ackedDelivered && x.commandId !== ackedDelivered.commandId), delivered, Date.now()).problems.length > 0;
  const negativeControlFailed = Object.keys(negative).length === 5 && Object.values(negative).every(Boolean);
  if (!negativeControlFailed) problems.push(`negative control: not every planted fault was caught (${JSON.stringify(negative)})`);

  return {
    exact: problems.length === 0, problems,
    framesAcknowledged: finals.devices.reduce((x, d) => x + d.accepted.length, 0), framesInKafkaWindow,
    commands: cmd.commands, commandsAcknowledged: cmd.acknowledged, commandsExpired: cmd.expired, expiredReasons: cmd.expiredReasons,
    negativeControl: negative, negativeControlFailed,
  };
};
