/**
 * Sharding: three assets instances under simulated telemetry; one is SIGKILLed; its shards move to
 * the other two, restored from asset.state.v1; afterwards the fleet's aggregate (read from any
 * instance) equals the sum over sites recomputed from the latest telemetry, with every device
 * counted exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Aggregate, WeatherObservation } from '../../../../services/platform/events.ts';
import { TopicNames } from '../../../../services/platform/topics.ts';
import { AGGREGATE_FIELDS } from '../../../../services/operational/assets/aggregate.ts';
import type { AssetView } from '../../../../services/operational/assets/read-model.ts';
import {
  counter, createAssetsWorld, eventually, sendRound, fleetFromTelemetry, getJson, PARTITIONS, runTelemetry, startAssets, type AssetsProcess, type AssetsWorld, READ_TOKEN,
} from './assets-harness.ts';

const SITES = 60;
const INTERVAL_MS = 1_000;

const close = (a: Aggregate, b: Aggregate): boolean => AGGREGATE_FIELDS.every((f) => Math.abs(a[f] - b[f]) <= 1e-6 * (1 + Math.abs(b[f])));
const diff = (a: Aggregate, b: Aggregate): Record<string, number> => Object.fromEntries(AGGREGATE_FIELDS.filter((f) => a[f] !== b[f]).map((f) => [f, a[f] - b[f]]));

interface Health { shards: { site: number[]; parent: number[] } }

describe('assets: sharded actors', () => {
  let w: AssetsWorld;
  const procs: AssetsProcess[] = [];
  beforeAll(async () => {
    w = await createAssetsWorld('assets-shard', SITES);
    const cellId = w.definitions.find((d) => d.kind === 'SITE')?.weatherCellId ?? '';
    const obs: WeatherObservation = { cellId, observedAtMs: Date.now(), temperatureC: 21, cloudCoverPct: 40, irradianceWPerM2: 600, windSpeedMPerS: 3, alert: null };
    const producer = await w.kafka.producer();
    await producer.send(w.topic(TopicNames.weatherObservations), [{ key: cellId, value: await w.codec.encode(TopicNames.weatherObservations, obs) }]);
    await producer.disconnect();
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await w.close();
  });

  it('moves a killed instance\'s shards and keeps the fleet aggregate equal to the sum over sites', async () => {
    procs.push(startAssets(w, 'a0'), startAssets(w, 'a1'), startAssets(w, 'a2'));
    const urls = await Promise.all(procs.map((p) => p.url()));
    const owned = async (url: string): Promise<Health['shards']> => (await getJson<Health>(`${url}/healthz`)).shards;
    const coverage = async (list: readonly string[]): Promise<{ site: Set<number>; parent: Set<number> }> => {
      const all = await Promise.all(list.map(owned));
      return { site: new Set(all.flatMap((s) => s.site)), parent: new Set(all.flatMap((s) => s.parent)) };
    };
    const covered = async (list: readonly string[]): Promise<boolean> => {
      const c = await coverage(list);
      return c.site.size === PARTITIONS && c.parent.size === PARTITIONS;
    };
    expect(await eventually(async () => (await covered(urls)) && (await Promise.all(urls.map(owned))).every((s) => s.site.length > 0), 60_000)).toBe(true);

    const telemetry = runTelemetry(w, INTERVAL_MS);
    const fleetOf = (url: string): Promise<AssetView> => getJson<AssetView>(`${url}/v1/assets/fleet`);
    expect(await eventually(async () => (await fleetOf(urls[0] ?? '')).aggregate.deviceCount === SITES, 60_000), procs[0]?.output().slice(-2000)).toBe(true);

    const victim = procs[2];
    const victimShards = await owned(urls[2] ?? '');
    expect(victimShards.site.length + victimShards.parent.length).toBeGreaterThan(0);
    victim?.child.kill('SIGKILL');
    expect(await victim?.exited).toBe('SIGKILL');
    const survivors = urls.slice(0, 2);
    expect(await eventually(() => covered(survivors), 60_000)).toBe(true);
    const after = await coverage(survivors);
    for (const p of victimShards.site) expect(after.site.has(p)).toBe(true);
    for (const p of victimShards.parent) expect(after.parent.has(p)).toBe(true);

    // Telemetry keeps flowing through the move, then stops; the aggregate must settle on the truth.
    await new Promise((r) => setTimeout(r, 3 * INTERVAL_MS));
    const rounds = await telemetry.stop();
    const expected = await fleetFromTelemetry(w);
    expect(expected.deviceCount).toBe(SITES);
    const settled = await eventually(async () => {
      const views = await Promise.all(survivors.map(fleetOf));
      return views.every((v) => close(v.aggregate, expected));
    }, 5 * INTERVAL_MS);
    const seen = await fleetOf(survivors[1] ?? '');
    expect(settled, `fleet ${JSON.stringify(diff(seen.aggregate, expected))} after ${rounds} rounds`).toBe(true);
    expect(seen.aggregate.onlineCount).toBe(SITES);
    expect(seen.updatedAtMs).toBeGreaterThan(0);

    // Negative control: the same comparison rejects an aggregate built from stale frames.
    expect(close(seen.aggregate, await fleetFromTelemetry(w, 'second-newest'))).toBe(false);

    // Any instance answers for any asset: a region's children and the fleet's subtree.
    const region = w.definitions.find((d) => d.kind === 'REGION')?.assetId ?? '';
    const children = await getJson<{ children: AssetView[] }>(`${survivors[0] ?? ''}/v1/assets/${region}/children`);
    expect(children.children.length).toBeGreaterThan(0);
    expect(children.children.every((c) => c.parentId === region && c.kind === 'SUBSTATION')).toBe(true);
    const tree = await getJson<AssetView & { children: unknown[]; truncated: boolean }>(`${survivors[1] ?? ''}/v1/assets/fleet/subtree?depth=2`);
    expect(tree.children.length).toBe(2);
    expect(tree.truncated).toBe(true);
    const site = await getJson<AssetView>(`${survivors[0] ?? ''}/v1/assets/${w.definitions.find((d) => d.kind === 'SITE')?.assetId ?? ''}`);
    expect(site.state?.online).toBe(true);
    expect(site.aggregate.deviceCount).toBe(1);
    // The site's environment: its cell's last known weather, from weather.observations.v1.
    expect(site.environment?.weatherCellId).toBeTruthy();
    expect(site.environment?.weather?.irradianceWPerM2).toBe(600);
    expect((await fetch(`${survivors[0] ?? ''}/v1/assets/no-such-asset`, { headers: READ_TOKEN })).status).toBe(404);
  }, 180_000);

  it('restores every shard from its snapshot into a fresh instance: parents keep their partials, devices their lastSeq', async () => {
    // Regression guard: a restore that lost state would apply replayed frames (lastSeq gone) or count
    // only the sites that report after it (other shards' partials gone).
    for (const p of procs) await p.stop();
    const fresh = startAssets(w, 'a3');
    procs.push(fresh);
    const url = await fresh.url();
    expect(await eventually(async () => {
      const s = (await getJson<Health>(`${url}/healthz`)).shards;
      return s.site.length === PARTITIONS && s.parent.length === PARTITIONS;
    }, 60_000)).toBe(true);
    // Replays of the first round must be dropped by every device's restored lastSeq.
    const replayed = await sendRound(w, 1);
    expect(await eventually(async () => (await counter(url, 'gridfleet_assets_telemetry_events_total', 'replay')) >= replayed, 20_000)).toBe(true);
    // A new round from half of the sites only: the fleet must still count and sum all of them.
    await sendRound(w, 1_000, (i) => i % 2 === 0);
    const expected = await fleetFromTelemetry(w);
    const settled = await eventually(async () => close((await getJson<AssetView>(`${url}/v1/assets/fleet`)).aggregate, expected), 15_000);
    const seen = await getJson<AssetView>(`${url}/v1/assets/fleet`);
    expect(settled, JSON.stringify(diff(seen.aggregate, expected))).toBe(true);
    expect(seen.aggregate.deviceCount).toBe(SITES);
    expect(await counter(url, 'gridfleet_assets_telemetry_events_total', 'applied')).toBe(SITES / 2);
    // Each record is read once: a consumer that never moved its fetch position would count re-reads as replays.
    expect(await counter(url, 'gridfleet_assets_telemetry_events_total', 'replay')).toBe(replayed);
  }, 120_000);

  it('takes sites that stopped reporting offline by the staleness tick, and rolls that up', async () => {
    for (const p of procs) await p.stop();
    const strict = startAssets(w, 'a4', { ASSETS_STALE_AFTER_MS: '5000' });
    procs.push(strict);
    const url = await strict.url();
    const fleet = (): Promise<AssetView> => getJson<AssetView>(`${url}/v1/assets/fleet`);
    // Ready means the read model has caught up, so older fleet snapshots can no longer show up.
    expect(await eventually(async () => (await fetch(`${url}/healthz`)).ok, 40_000)).toBe(true);
    const offline = async (): Promise<boolean> => {
      const a = (await fleet()).aggregate;
      return a.onlineCount === 0 && a.deviceCount === SITES;
    };
    expect(await eventually(offline, 40_000), strict.output().slice(-3000)).toBe(true);
    // And it stays so: nothing re-sends an older, online picture.
    await new Promise((r) => setTimeout(r, 2_000));
    const seen = await fleet();
    expect(seen.aggregate).toMatchObject({ deviceCount: SITES, onlineCount: 0, dischargeHeadroomKw: 0, availableEnergyKwh: 0, solarKw: 0 });
    expect(await counter(url, 'gridfleet_assets_devices_marked_offline_total')).toBeGreaterThan(0);
    const site = await getJson<AssetView>(`${url}/v1/assets/${w.definitions.find((d) => d.kind === 'SITE')?.assetId ?? ''}`);
    expect(site.state?.online).toBe(false);
  }, 90_000);
});
