"""Writes notebooks/fleet-analysis.ipynb from the cells below (run it after editing a cell:
`python3 notebooks/make_notebook.py`); the notebook is checked in, and a test executes it."""
import json
import pathlib

MD = "markdown"
PY = "code"

CELLS = [
    (MD, """# The fleet in ClickHouse: a data scientist's first hour

Every event the platform handled is in ClickHouse. This notebook uses the official Python client
(`clickhouse-connect`) as the read-only `analyst` user, against the embedded ClickHouse of
`npm run stack -- up` (or any ClickHouse: set `CLICKHOUSE_URL`, `CLICKHOUSE_USER`,
`CLICKHOUSE_PASSWORD`). Tables and views are described in `docs/analytics.md`.

1. A day of the fleet
2. A dispatch's measured response against its target
3. Forecast error by horizon
4. Carbon avoided by the batteries"""),
    (PY, """import os
from urllib.parse import urlparse

import clickhouse_connect
import pandas as pd

url = urlparse(os.environ.get("CLICKHOUSE_URL", "http://127.0.0.1:8123"))
client = clickhouse_connect.get_client(
    host=url.hostname, port=url.port or 8123, secure=url.scheme == "https",
    username=os.environ.get("CLICKHOUSE_USER", "analyst"),
    password=os.environ.get("CLICKHOUSE_PASSWORD", "analyst"),
    database=os.environ.get("CLICKHOUSE_DATABASE", "gridfleet"),
)
print("ClickHouse", client.server_version, "as", os.environ.get("CLICKHOUSE_USER", "analyst"))
print(client.query_df("SELECT count() AS frames, uniqExact(site_id) AS sites, min(measured_at) AS first, max(measured_at) AS last FROM telemetry"))"""),
    (MD, """## 1. A day of the fleet

Hourly energy over the last 24 hours of data: solar, load, grid import and export, battery charge
and discharge (kWh), and the mean state of charge. `fleet_hourly` sums `site_hourly`, which a
materialized view keeps from the raw telemetry."""),
    (PY, """day = client.query_df(\"\"\"
    SELECT hour, sites, round(solar_kwh, 1) AS solar_kwh, round(load_kwh, 1) AS load_kwh,
           round(grid_import_kwh, 1) AS import_kwh, round(grid_export_kwh, 1) AS export_kwh,
           round(battery_charge_kwh, 1) AS charge_kwh, round(battery_discharge_kwh, 1) AS discharge_kwh,
           round(soc_avg_pct, 1) AS soc_avg_pct
    FROM fleet_hourly
    WHERE hour >= (SELECT max(hour) FROM fleet_hourly) - INTERVAL 23 HOUR
    ORDER BY hour\"\"\")
print(day.to_string(index=False) if len(day) else "no telemetry yet: run `npm run demo`")"""),
    (MD, """## 2. A dispatch against its target

For each dispatch (`grid_events` of kind `VPP_DISPATCH`), the measured battery power of the sites
in its scope, minute by minute during its window, against the target. The scope is any level of
the hierarchy (`site_hierarchy` maps each site to its feeder, substation, region and fleet)."""),
    (PY, """response = client.query_df(\"\"\"
    WITH events AS (
        SELECT event_id, scope_asset_id, target_mw * 1000 AS target_kw, start_at, end_at
        FROM grid_events
        WHERE kind = 'VPP_DISPATCH' AND target_mw > 0
          AND event_id NOT IN (SELECT cancels_event_id FROM grid_events WHERE kind = 'CANCEL' AND cancels_event_id IS NOT NULL)
        ORDER BY issued_at DESC LIMIT 5
    ),
    scoped AS (
        SELECT e.event_id, h.site_id
        FROM events AS e
        INNER JOIN site_hierarchy AS h
          ON e.scope_asset_id IN (h.site_id, h.feeder_id, h.substation_id, h.region_id, h.fleet_id)
    ),
    minutes AS (
        SELECT s.event_id AS event_id, toStartOfMinute(t.measured_at) AS minute,
               sum(t.battery_kw) / greatest(1, uniqExact(t.measured_at) / uniqExact(t.site_id)) AS response_kw
        FROM scoped AS s
        INNER JOIN telemetry AS t ON t.site_id = s.site_id
        INNER JOIN events AS e ON e.event_id = s.event_id
        WHERE t.measured_at BETWEEN e.start_at AND e.end_at
        GROUP BY event_id, minute
    )
    SELECT e.event_id AS event_id, e.scope_asset_id AS scope, e.target_kw AS target_kw,
           round(max(m.response_kw), 1) AS peak_response_kw,
           round(100 * max(m.response_kw) / e.target_kw, 1) AS peak_pct_of_target,
           count(m.minute) AS minutes_measured
    FROM events AS e LEFT JOIN minutes AS m ON m.event_id = e.event_id
    GROUP BY e.event_id, e.scope_asset_id, e.target_kw
    ORDER BY e.event_id\"\"\")
print(response.to_string(index=False) if len(response) else "no dispatch yet: the demo's grid-event day issues one")"""),
    (MD, """## 3. Forecast error by horizon

`forecast_scores` scores every issued forecast against what happened at its target time: mean
absolute error and bias by kind, region and horizon (hours ahead). A good model's error grows with
the horizon and stays below persistence (docs/forecast.md). Rows with `source = 'model'` are
gridfleet's own forecasts; a provider's rows (its source id) score its forecast on the same points."""),
    (PY, """scores = client.query_df(\"\"\"
    SELECT kind, horizon_hours, sum(points) AS scored_points,
           round(sum(mae * points) / sum(points), 3) AS mae, round(sum(bias * points) / sum(points), 3) AS bias
    FROM forecast_scores
    WHERE source = 'model'
    GROUP BY kind, horizon_hours
    ORDER BY kind, horizon_hours\"\"\")
if len(scores):
    print(scores.pivot_table(index="horizon_hours", columns="kind", values="mae").round(3).to_string())
else:
    print("no scored forecasts yet: forecast runs are scored once their target times have passed")"""),
    (MD, """## 4. Carbon avoided by the batteries

A battery that charges when the grid is clean and discharges when it is dirty avoids emissions:
each kWh discharged displaces grid energy at that hour's intensity, each kWh charged costs it.
Per grid region and day, from `site_hourly` and the grid-mix feed (`grid_mix`, g CO2/kWh)."""),
    (PY, """carbon = client.query_df(\"\"\"
    WITH mix AS (
        SELECT region_id, toStartOfHour(observed_at) AS hour, avg(carbon_g_per_kwh) AS g_per_kwh
        FROM grid_mix GROUP BY region_id, hour
    )
    SELECT toDate(s.hour) AS day, h.grid_region_id AS grid_region,
           round(sum(s.battery_discharge_kwh), 1) AS discharged_kwh,
           round(sum(s.battery_charge_kwh), 1) AS charged_kwh,
           round(sum((s.battery_discharge_kwh - s.battery_charge_kwh) * m.g_per_kwh) / 1000, 2) AS carbon_avoided_kg
    FROM site_hourly AS s
    INNER JOIN site_hierarchy AS h ON h.site_id = s.site_id
    INNER JOIN mix AS m ON m.region_id = h.grid_region_id AND m.hour = s.hour
    GROUP BY day, grid_region
    ORDER BY day, grid_region\"\"\")
print(carbon.to_string(index=False) if len(carbon) else "no telemetry with grid-mix observations yet")"""),
    (MD, """## Next

- `npm run sql -- --help`: the same queries from a terminal, with parameters and Parquet output.
- Arrow for big results: `client.query_arrow(...)`; inserts are refused for the analyst (read-only)."""),
]


def cell(kind, text):
    lines = text.split("\n")
    source = [l + "\n" for l in lines[:-1]] + [lines[-1]]
    c = {"cell_type": kind, "metadata": {}, "source": source}
    if kind == PY:
        c["execution_count"] = None
        c["outputs"] = []
    return c


notebook = {
    "cells": [cell(k, t) for k, t in CELLS],
    "metadata": {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}
for i, c in enumerate(notebook["cells"]):
    c["id"] = f"cell-{i:02d}"
path = pathlib.Path(__file__).with_name("fleet-analysis.ipynb")
path.write_text(json.dumps(notebook, indent=1) + "\n")
print(f"wrote {path}")
