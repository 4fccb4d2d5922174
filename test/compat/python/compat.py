"""clickhouse-connect, the official Python client, with its default settings (lz4-compressed
request bodies, compressed responses, Native-format inserts) against the embedded server: create,
insert, insert_df/query_df with pandas, Arrow, a parameterized select, a streamed select, an error,
and the analyst's read-only refusal. Prints one "ok <step>" line per step; exits 1 on the first
that fails. Usage: python compat.py <port> <analyst password>"""
import sys
import time

import clickhouse_connect
import pandas as pd
from clickhouse_connect.driver.exceptions import DatabaseError

port, analyst_password = int(sys.argv[1]), sys.argv[2]
table = f"py_{time.time_ns():x}"
client = clickhouse_connect.get_client(host="127.0.0.1", port=port)

client.command(f"CREATE TABLE {table} (id UInt32, site String, kw Float64) ENGINE = MergeTree ORDER BY id")
print("ok create")

client.insert(table, [[i, f"site-{i % 10}", i / 2] for i in range(1000)], column_names=["id", "site", "kw"])
assert client.command(f"SELECT count() FROM {table}") == 1000
print("ok insert (Native, lz4 body)")

df = pd.DataFrame({"id": range(1000, 1500), "site": ["df"] * 500, "kw": [1.5] * 500})
client.insert_df(table, df)
back = client.query_df(f"SELECT id, kw FROM {table} WHERE site = 'df' ORDER BY id")
assert len(back) == 500 and back["id"].iloc[0] == 1000 and back["kw"].sum() == 750, back
print("ok insert_df / query_df")

arrow = client.query_arrow(f"SELECT site, count() AS n FROM {table} GROUP BY site ORDER BY site")
assert arrow.num_rows == 11, arrow
print("ok query_arrow")

r = client.query(f"SELECT count() FROM {table} WHERE site = {{site:String}} AND id >= {{low:UInt32}}", parameters={"site": "site-3", "low": 500})
assert r.result_rows[0][0] == 50, r.result_rows
print("ok parameterized select")

total = rows = 0
with client.query_row_block_stream("SELECT number FROM numbers(300000)") as stream:
    for block in stream:
        for (v,) in block:
            total += v
            rows += 1
assert rows == 300000 and total == 299999 * 300000 // 2, rows
print("ok streaming select")

try:
    client.query("SELECT * FROM missing_table_xyz")
    raise AssertionError("an error for a missing table")
except DatabaseError as e:
    assert "UNKNOWN_TABLE" in str(e) or "Code: 60" in str(e), e
print("ok error")

analyst = clickhouse_connect.get_client(host="127.0.0.1", port=port, username="analyst", password=analyst_password)
assert analyst.command(f"SELECT count() FROM {table}") == 1500
try:
    analyst.insert(table, [[5000, "x", 1.0]], column_names=["id", "site", "kw"])
    raise AssertionError("the analyst's insert refused")
except DatabaseError as e:
    assert "READONLY" in str(e) or "Code: 164" in str(e), e
print("ok analyst read-only")
