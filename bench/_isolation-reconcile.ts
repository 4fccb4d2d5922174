/**
 * The isolation harness's end-of-run reconciliation, as pure checks over what was gathered (each
 * returns its problems, empty when exact) plus the readers that gather it from the real parts:
 *
 * - telemetry: every frame the gateway acknowledged to a device is exactly once in ClickHouse by
 *   (device, seq); and every telemetry.v1 record written during the run is exactly once in
 *   ClickHouse by (partition, offset) (services/analytics/ingest/reconcile.ts compares the counts);
 * - commands: every command on control.commands.v1 is acknowledged on control.acks.v1 or expired
 *   (its window ended unanswered, the reason recorded); every command a device received was
 *   acknowledged (the devices always answer, so a missing ack is a lost one);
 * - rollups: the fleet aggregate of the asset actors equals the sum over devices recomputed from
 *   each device's newest acknowledged frame.
 *
 * The negative control runs the same checks on planted bad data and must see each one fail.
 */
import type { AvroCodec } from '../services/platform/avro-codec.ts';
import type { CommandAck, SiteCommand, TopicValues } from '../services/platform/events.ts';
import type { KafkaAdapter, TopicOffsets } from '../services/platform/kafka.ts';
import { TopicNames } from '../services/platform/topics.ts';
import { reconcile } from '../services/analytics/ingest/reconcile.ts';
import type { DeviceFinal } from './_control-devices.ts';

/** device -> seq -> rows in ClickHouse */
export type RowsByFrame = ReadonlyMap<string, ReadonlyMap<number, number>>;

export const checkTelemetryExactlyOnce = (acknowledged: readonly DeviceFinal[], rows: RowsByFrame): string[] => {
  let missing = 0;
  let doubled = 0;
  const examples: string[] = [];
  for (const d of acknowledged) {
    const got = rows.get(d.deviceId);
    for (const seq of d.accepted) {
      const n = got?.get(seq) ?? 0;
      if (n === 1) continue;
      if (n === 0) missing++;
      else doubled++;
      if (examples.length < 3) examples.push(`${d.deviceId}#${seq}: ${n} rows`);
    }
  }
  const problems: string[] = [];
  if (missing > 0) problems.push(`${missing} acknowledged frames are missing from ClickHouse (${examples.join(', ')})`);
  if (doubled > 0) problems.push(`${doubled} acknowledged frames are in ClickHouse more than once (${examples.join(', ')})`);
  return problems;
};

/** Offsets written to each partition between two readings of the topic: what ClickHouse must hold. */
export const expectedByPartition = (from: readonly TopicOffsets[], to: readonly TopicOffsets[]): Map<number, number> => {
  const start = new Map(from.map((o) => [o.partition, Number(o.high)]));
  return new Map(to.map((o) => [o.partition, Number(o.high) - (start.get(o.partition) ?? 0)]));
};

export const checkKafkaToClickHouse = (expected: ReadonlyMap<number, number>, rowsByPartition: ReadonlyMap<number, number>, duplicateOffsets: number): string[] =>
  reconcile(expected, { rowsByPartition, duplicateKeys: duplicateOffsets }).map((p) => `telemetry.v1 against ClickHouse: ${p}`);

export interface CommandCheck { readonly problems: string[]; readonly commands: number; readonly acknowledged: number; readonly expired: number; readonly expiredReasons: Record<string, number> }

export const checkCommands = (commands: readonly SiteCommand[], acks: readonly CommandAck[], deliveredIds: ReadonlySet<string>, nowMs: number): CommandCheck => {
  const acked = new Set(acks.map((a) => a.commandId));
  const problems: string[] = [];
  let acknowledged = 0;
  let expired = 0;
  const expiredReasons: Record<string, number> = {};
  const open: string[] = [];
  for (const c of commands) {
    if (acked.has(c.commandId)) acknowledged++;
    else if (c.expiresAtMs <= nowMs) {
      expired++;
      const reason = deliveredIds.has(c.commandId) ? 'delivered, acknowledgement lost' : 'never delivered before it expired';
      expiredReasons[reason] = (expiredReasons[reason] ?? 0) + 1;
    } else open.push(c.commandId);
  }
  if (open.length > 0) problems.push(`${open.length} commands neither acknowledged nor expired (e.g. ${open.slice(0, 3).join(', ')})`);
  const known = new Set(commands.map((c) => c.commandId));
  const lostAcks = [...deliveredIds].filter((id) => known.has(id) && !acked.has(id));
  if (lostAcks.length > 0) problems.push(`${lostAcks.length} commands reached their device but their acknowledgement is not on control.acks.v1 (e.g. ${lostAcks.slice(0, 3).join(', ')})`);
  return { problems, commands: commands.length, acknowledged, expired, expiredReasons };
};

const FLOWS = ['batteryKw', 'solarKw', 'loadKw', 'gridKw'] as const;

export const recomputeFleet = (finals: readonly DeviceFinal[]): Record<string, number> => {
  const out: Record<string, number> = { deviceCount: finals.length, onlineCount: finals.filter((d) => d.last !== null).length };
  for (const f of FLOWS) out[f] = finals.reduce((a, d) => a + (d.last?.[f] ?? 0), 0);
  return out;
};

export const checkRollups = (aggregate: Readonly<Record<string, number>> | null, recomputed: Readonly<Record<string, number>>): string[] => {
  if (aggregate === null) return ['no fleet aggregate from the asset actors'];
  const problems: string[] = [];
  for (const [k, want] of Object.entries(recomputed)) {
    const got = aggregate[k] ?? NaN;
    if (!(Math.abs(got - want) <= 1e-6 * (1 + Math.abs(want)) + 1e-3)) problems.push(`fleet ${k} is ${got}, the recompute from the newest frames says ${want}`);
  }
  return problems;
};

/** ClickHouse over HTTP as a given user (the analyst for reads, ingest for the planted row). */
export const clickhouseQuery = async <T>(url: string, user: string, password: string, sql: string, signal: AbortSignal = AbortSignal.timeout(120_000)): Promise<T[]> => {
  const res = await fetch(`${url}/?database=gridfleet&default_format=JSONEachRow`, {
    method: 'POST', body: sql, headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` }, signal,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`ClickHouse ${res.status}: ${text.slice(0, 500)}`);
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as T);
};

export const readRowsByFrame = async (chUrl: string, devicePrefix: string): Promise<Map<string, Map<number, number>>> => {
  const rows = await clickhouseQuery<{ device_id: string; seqs: string[]; counts: string[] }>(chUrl, 'analyst', 'analyst',
    `SELECT device_id, groupArray(seq) AS seqs, groupArray(n) AS counts FROM (SELECT device_id, seq, count() AS n FROM telemetry WHERE startsWith(device_id, '${devicePrefix}') GROUP BY device_id, seq) GROUP BY device_id`);
  const out = new Map<string, Map<number, number>>();
  for (const r of rows) out.set(r.device_id, new Map(r.seqs.map((s, i) => [Number(s), Number(r.counts[i] ?? 0)])));
  return out;
};

export const readPartitionRows = async (chUrl: string, from: readonly TopicOffsets[], to: readonly TopicOffsets[]): Promise<{ rowsByPartition: Map<number, number>; duplicateOffsets: number }> => {
  const start = new Map(from.map((o) => [o.partition, Number(o.high)]));
  const window = to.map((o) => `(kafka_partition = ${o.partition} AND kafka_offset >= ${start.get(o.partition) ?? 0} AND kafka_offset < ${Number(o.high)})`).join(' OR ') || '0';
  const per = await clickhouseQuery<{ p: number; n: string; d: string }>(chUrl, 'analyst', 'analyst',
    `SELECT kafka_partition AS p, count() AS n, count() - uniqExact(kafka_offset) AS d FROM telemetry WHERE ${window} GROUP BY p`);
  return { rowsByPartition: new Map(per.map((r) => [Number(r.p), Number(r.n)])), duplicateOffsets: per.reduce((a, r) => a + Number(r.d), 0) };
};

/** The commands and acks of the run's sites, read from Kafka from the offsets taken at the start. */
export const readCommandsAndAcks = async (kafka: KafkaAdapter, codec: AvroCodec, from: { commands: readonly TopicOffsets[]; acks: readonly TopicOffsets[] }, sitePrefix: string): Promise<{ commands: SiteCommand[]; acks: CommandAck[] }> => {
  const decodeAll = async <T extends typeof TopicNames.controlCommands | typeof TopicNames.controlAcks>(topic: T, offsets: readonly TopicOffsets[]): Promise<Array<TopicValues[T]>> => {
    const records = await kafka.readAll(topic, { timeoutMs: 60_000, fromOffsets: offsets });
    const out: Array<TopicValues[T]> = [];
    for (const r of records) {
      if (!r.value) continue;
      const v = await codec.decode(topic, r.value);
      if (v.ok && v.value.siteId.startsWith(sitePrefix)) out.push(v.value);
    }
    return out;
  };
  return {
    commands: await decodeAll(TopicNames.controlCommands, from.commands),
    acks: await decodeAll(TopicNames.controlAcks, from.acks),
  };
};
