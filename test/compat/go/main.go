// clickhouse-go v2 over its HTTP protocol, default settings otherwise, against the embedded
// server: create, a batch insert (Native format), a parameterized select, a streamed select, an
// error, and the analyst's read-only refusal. Prints one "ok <step>" line per step; exits 1 on the
// first that fails. Usage: go run . <port> <analyst password>
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

func must(err error, what string) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL %s: %v\n", what, err)
		os.Exit(1)
	}
}

func check(ok bool, what string) {
	if !ok {
		must(errors.New("check failed"), what)
	}
}

func open(port, user, password string) clickhouse.Conn {
	conn, err := clickhouse.Open(&clickhouse.Options{
		Protocol: clickhouse.HTTP,
		Addr:     []string{"127.0.0.1:" + port},
		Auth:     clickhouse.Auth{Database: "default", Username: user, Password: password},
	})
	must(err, "open")
	return conn
}

func main() {
	port, analystPassword := os.Args[1], os.Args[2]
	ctx := context.Background()
	table := fmt.Sprintf("go_%x", time.Now().UnixNano())
	conn := open(port, "default", "")
	must(conn.Exec(ctx, "CREATE TABLE "+table+" (id UInt32, site String, kw Float64) ENGINE = MergeTree ORDER BY id"), "create")
	fmt.Println("ok create")

	batch, err := conn.PrepareBatch(ctx, "INSERT INTO "+table)
	must(err, "prepare batch")
	for i := 0; i < 1000; i++ {
		must(batch.Append(uint32(i), fmt.Sprintf("site-%d", i%10), float64(i)/2), "append")
	}
	must(batch.Send(), "insert")
	fmt.Println("ok insert")

	var n uint64
	pctx := clickhouse.Context(ctx, clickhouse.WithParameters(clickhouse.Parameters{"site": "site-3", "from": "500"}))
	must(conn.QueryRow(pctx, "SELECT count() FROM "+table+" WHERE site = {site:String} AND id >= {from:UInt32}").Scan(&n), "parameterized select")
	check(n == 50, fmt.Sprintf("50 rows for site-3 from id 500, got %d", n))
	fmt.Println("ok parameterized select")

	rows, err := conn.Query(ctx, "SELECT number FROM numbers(300000)")
	must(err, "streaming select")
	var count, sum uint64
	for rows.Next() {
		var v uint64
		must(rows.Scan(&v), "scan")
		count++
		sum += v
	}
	must(rows.Err(), "rows")
	check(count == 300000 && sum == 299999*300000/2, fmt.Sprintf("streamed 300000 rows, got %d", count))
	fmt.Println("ok streaming select")

	err = conn.Exec(ctx, "SELECT * FROM missing_table_xyz")
	check(err != nil && strings.Contains(err.Error(), "60"), fmt.Sprintf("UNKNOWN_TABLE, got %v", err))
	fmt.Println("ok error")

	analyst := open(port, "analyst", analystPassword)
	must(analyst.QueryRow(ctx, "SELECT count() FROM "+table).Scan(&n), "analyst select")
	check(n == 1000, "the analyst reads 1000 rows")
	err = analyst.Exec(ctx, "INSERT INTO "+table+" VALUES (5000, 'x', 1)")
	check(err != nil && strings.Contains(err.Error(), "164"), fmt.Sprintf("READONLY, got %v", err))
	fmt.Println("ok analyst read-only")
}
