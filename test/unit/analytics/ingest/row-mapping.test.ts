import { describe, expect, it } from 'vitest';
import type { ForecastBundle, Telemetry } from '../../../../services/platform/events.ts';
import { TopicNames } from '../../../../services/platform/topics.ts';
import { ByteSink, compileRowEncoder } from '../../../../services/analytics/ingest/row-binary.ts';
import { mappingOf, TABLE_MAPPINGS } from '../../../../services/analytics/ingest/row-mapping.ts';

const meta = { key: 'k', partition: 3, offset: 42, timestampMs: 1_700_000_000_000 };

const frame: Telemetry = {
  deviceId: 'd', siteId: 's', seq: 7, measuredAtMs: 1, receivedAtMs: 2, socPct: 50, batteryKw: 1, solarKw: 2, loadKw: 3, gridKw: 0,
  batteryTempC: 20, mode: 'IDLE', alarms: ['A'], activeCommandId: null,
};

describe('row mapping', () => {
  it('maps every topic to a table whose columns its rows fit, ending with partition and offset', () => {
    for (const m of Object.values(TABLE_MAPPINGS)) {
      expect(m.columns.at(-2)?.name).toBe('kafka_partition');
      expect(m.columns.at(-1)?.name).toBe('kafka_offset');
      compileRowEncoder(m.columns);
    }
    const rows = mappingOf(TopicNames.telemetry).toRows(frame, meta);
    expect(rows.ok && rows.value).toEqual([['s', 'd', 7, 1, 2, 50, 1, 2, 3, 0, 20, 'IDLE', ['A'], null, 3, 42]]);
    if (rows.ok) compileRowEncoder(mappingOf(TopicNames.telemetry).columns)(new ByteSink(), rows.value[0] ?? []);
  });

  it('explodes a forecast bundle into one row per step with target time and horizon', () => {
    const b: ForecastBundle = {
      siteId: 's', issuedAtMs: 0, runId: 'r', validFromMs: 3_600_000, stepMinutes: 30, solarKw: [1, 2], loadKw: [3, 4], carbonGPerKwh: [5, 6],
      temperatureC: [7, 8], stormWatch: null, modelVersion: 'v',
    };
    const rows = mappingOf(TopicNames.fleetForecasts).toRows(b, meta);
    expect(rows.ok && rows.value.map((r) => [r[2], r[3], r[4], r[7]])).toEqual([[3_600_000, 60, 0, 1], [5_400_000, 90, 1, 2]]);
    expect(mappingOf(TopicNames.fleetForecasts).toRows({ ...b, loadKw: [1] }, meta)).toMatchObject({ ok: false });
  });

  it('turns a registry tombstone into a deleted row and refuses tombstones where none belong', () => {
    const del = mappingOf(TopicNames.assetRegistry).toRows(null, meta);
    expect(del.ok && del.value[0]?.[0]).toBe('k');
    expect(del.ok && del.value[0]?.[15]).toBe(1);
    expect(mappingOf(TopicNames.assetState).toRows(null, meta)).toEqual({ ok: true, value: [] });
    expect(mappingOf(TopicNames.telemetry).toRows(null, meta)).toMatchObject({ ok: false, error: expect.stringMatching(/tombstone/) as unknown });
  });
});

describe('provider forecasts', () => {
  it('become one row per point with the horizon from the issue time, skipping points that say nothing', () => {
    const m = mappingOf(TopicNames.providerForecasts);
    const rows = m.toRows({
      sourceId: 'carbonintensity-uk:national', provider: 'carbonintensity-uk', areaId: 'gb', quantity: 'carbonGPerKwh', issuedAtMs: 3_600_000, fetchedAtMs: 3_660_000,
      points: [
        { targetMs: 1_800_000, intervalMinutes: 30, forecast: 200, actual: 190 },
        { targetMs: 3_600_000, intervalMinutes: 30, forecast: null, actual: null },
        { targetMs: 5_400_000, intervalMinutes: 30, forecast: 210, actual: null },
      ],
    }, meta);
    expect(rows.ok && rows.value.map((r) => [r[6], r[8], r[9], r[10]])).toEqual([[1_800_000, -30, 200, 190], [5_400_000, 30, 210, null]]);
    if (rows.ok) for (const r of rows.value) compileRowEncoder(m.columns)(new ByteSink(), r);
    expect(m.toRows(null, meta)).toMatchObject({ ok: false });
  });
});
