/**
 * Bad input to the asset actors: a record on telemetry.v1 that is not telemetry goes to
 * dead.letters.v1 with its origin and reason, and the partition keeps moving; a device the registry
 * decommissioned stops counting in the fleet, and its later frames are dead-lettered too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../../../services/platform/events.ts';
import { TopicNames } from '../../../../services/platform/topics.ts';
import type { AssetView } from '../../../../services/operational/assets/read-model.ts';
import { counter, createAssetsWorld, devicesOf, eventually, getJson, READ_TOKEN, sendRound, startAssets, type AssetsProcess, type AssetsWorld } from './assets-harness.ts';

const SITES = 20;

describe('assets: bad input', () => {
  let w: AssetsWorld;
  let proc: AssetsProcess;
  beforeAll(async () => {
    w = await createAssetsWorld('assets-bad', SITES);
    proc = startAssets(w, 'bad-0');
  });
  afterAll(async () => {
    await proc.stop();
    await w.close();
  });

  const lettersFrom = async (topic: string): Promise<DeadLetter[]> => {
    const records = await w.kafka.readAll(TopicNames.deadLetters);
    const letters = await Promise.all(records.map(async (r) => (r.value === null ? null : await w.codec.decode(TopicNames.deadLetters, r.value))));
    return letters.flatMap((d) => (d?.ok === true && d.value.originTopic === topic ? [d.value] : []));
  };

  it('dead-letters an undecodable record and a decommissioned device\'s frames; the fleet stops counting that device', async () => {
    const url = await proc.url();
    const fleet = (): Promise<AssetView> => getJson<AssetView>(`${url}/v1/assets/fleet`);
    await sendRound(w, 1);
    expect(await eventually(async () => (await fleet()).aggregate.deviceCount === SITES, 60_000), proc.output().slice(-2000)).toBe(true);

    // Garbage on the telemetry topic, between good frames.
    const victim = devicesOf(w)[0];
    if (victim === undefined) throw new Error('no device');
    const producer = await w.kafka.producer();
    const [sent] = await producer.send(w.topic(TopicNames.telemetry), [{ key: victim.parentId ?? '', value: Buffer.from('not avro at all') }]);
    // The registry decommissions the first device.
    await producer.send(w.topic(TopicNames.assetRegistry), [{ key: victim.assetId, value: await w.codec.encode(TopicNames.assetRegistry, { ...victim, deleted: true, updatedAtMs: Date.now() }) }]);
    await producer.disconnect();
    expect(await eventually(async () => (await fleet()).aggregate.deviceCount === SITES - 1, 30_000), proc.output().slice(-2000)).toBe(true);
    await sendRound(w, 2);

    const topic = w.topic(TopicNames.telemetry);
    expect(await eventually(async () => (await lettersFrom(topic)).length >= 2, 30_000)).toBe(true);
    const letters = await lettersFrom(topic);
    const undecodable = letters.find((l) => l.errorCode === 'UNDECODABLE');
    expect(undecodable).toMatchObject({ service: 'assets', originPartition: sent?.partition, originOffset: Number(sent?.baseOffset), originKey: victim.parentId, payloadBytes: 15 });
    expect(undecodable?.reason).toMatch(/not a telemetry\.v1 record/);
    const decommissioned = letters.find((l) => l.errorCode === 'DECOMMISSIONED');
    expect(decommissioned?.reason).toContain(victim.assetId);

    // Everything else of round 2 was applied: the partition kept moving past the garbage.
    expect(await eventually(async () => (await fleet()).aggregate.onlineCount === SITES - 1, 30_000)).toBe(true);
    expect(await counter(url, 'gridfleet_assets_dead_letters_total', 'code="UNDECODABLE"')).toBe(1);
    expect(await counter(url, 'gridfleet_assets_dead_letters_total', 'code="DECOMMISSIONED"')).toBe(1);
    expect((await fetch(`${url}/v1/assets/${victim.assetId}`, { headers: READ_TOKEN })).status).toBe(404);
  }, 150_000);
});
