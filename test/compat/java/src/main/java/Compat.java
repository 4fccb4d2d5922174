// The ClickHouse JDBC driver (com.clickhouse:clickhouse-jdbc, over HTTP, default settings) against
// the embedded server: create, insert, a parameterized select, a streamed select, an error, and
// the analyst's read-only refusal. Prints one "ok <step>" line per step; exits 1 on the first
// step that fails. Usage: java Compat <port> <analyst password>
import java.sql.*;
import java.util.Properties;

public class Compat {
  static void check(boolean ok, String what) {
    if (!ok) throw new AssertionError(what);
  }

  public static void main(String[] args) throws Exception {
    String url = "jdbc:clickhouse://127.0.0.1:" + args[0] + "/default";
    String table = "jdbc_" + Long.toHexString(System.nanoTime());
    try (Connection c = DriverManager.getConnection(url, "default", "")) {
      try (Statement s = c.createStatement()) {
        s.execute("CREATE TABLE " + table + " (id UInt32, site String, kw Float64) ENGINE = MergeTree ORDER BY id");
      }
      System.out.println("ok create");
      try (PreparedStatement p = c.prepareStatement("INSERT INTO " + table + " (id, site, kw) VALUES (?, ?, ?)")) {
        for (int i = 0; i < 1000; i++) {
          p.setInt(1, i);
          p.setString(2, "site-" + (i % 10));
          p.setDouble(3, i / 2.0);
          p.addBatch();
        }
        p.executeBatch();
      }
      System.out.println("ok insert");
      try (PreparedStatement p = c.prepareStatement("SELECT count(), sum(kw) FROM " + table + " WHERE site = ? AND id >= ?")) {
        p.setString(1, "site-3");
        p.setInt(2, 500);
        try (ResultSet r = p.executeQuery()) {
          check(r.next(), "a row");
          check(r.getLong(1) == 50, "50 rows for site-3 from id 500, got " + r.getLong(1));
        }
      }
      System.out.println("ok parameterized select");
      try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT number, toString(number) FROM numbers(300000)")) {
        long n = 0, sum = 0;
        while (r.next()) {
          sum += r.getLong(1);
          n++;
        }
        check(n == 300000 && sum == 299999L * 300000L / 2, "streamed 300000 rows, got " + n);
      }
      System.out.println("ok streaming select");
      try (Statement s = c.createStatement()) {
        s.executeQuery("SELECT * FROM missing_table_xyz");
        check(false, "an error for a missing table");
      } catch (SQLException e) {
        check(String.valueOf(e.getMessage()).contains("UNKNOWN_TABLE") || e.getErrorCode() == 60, "UNKNOWN_TABLE, got " + e.getMessage());
      }
      System.out.println("ok error");
    }
    Properties analyst = new Properties();
    analyst.setProperty("user", "analyst");
    analyst.setProperty("password", args[1]);
    try (Connection c = DriverManager.getConnection(url, analyst); Statement s = c.createStatement()) {
      try (ResultSet r = s.executeQuery("SELECT count() FROM " + table)) {
        check(r.next() && r.getLong(1) == 1000, "the analyst reads 1000 rows");
      }
      try {
        s.execute("INSERT INTO " + table + " VALUES (5000, 'x', 1)");
        check(false, "the analyst's insert refused");
      } catch (SQLException e) {
        check(String.valueOf(e.getMessage()).contains("READONLY") || e.getErrorCode() == 164, "READONLY, got " + e.getMessage());
      }
    }
    System.out.println("ok analyst read-only");
  }
}
