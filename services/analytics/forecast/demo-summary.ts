/**
 * What the demo prints about the forecast tier at the end: runs issued on schedule, bundles that
 * reached devices (gateway deliveries), devices planning from a bundle (telemetry mode), and the
 * scored forecast error from ClickHouse. Every read is bounded in time and optional: analytics
 * never holds up the demo.
 */
interface Login { readonly user: string; readonly password: string }

const query = async <T>(url: string, sql: string, login?: Login): Promise<T[] | null> => {
  try {
    const headers: Record<string, string> = login ? { 'x-clickhouse-user': login.user, 'x-clickhouse-key': login.password } : {};
    const res = await fetch(`${url}/?query=${encodeURIComponent(`${sql} FORMAT JSONEachRow`)}&output_format_json_quote_64bit_integers=0`, { signal: AbortSignal.timeout(5_000), headers });
    if (!res.ok) return null;
    return (await res.text()).split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as T);
  } catch {
    return null;
  }
};

/** login: the analyst's, when ClickHouse's users have passwords (the secured stack). */
export const forecastSummary = async (clickhouseUrl: string, gatewayUrl: string, simStartMs: number, login?: Login): Promise<string[]> => {
  const since = `fromUnixTimestamp64Milli(toInt64(${Math.floor(simStartMs)}), 'UTC')`;
  const lines: string[] = [];
  const runs = await query<{ kind: string; runs: number; completed: number }>(clickhouseUrl, `SELECT kind, count() AS runs, countIf(outcome = 'completed') AS completed FROM gridfleet.forecast_runs FINAL WHERE issued_at >= ${since} - INTERVAL 1 HOUR GROUP BY kind ORDER BY kind`, login);
  lines.push(`  forecast runs        ${runs === null ? '(ClickHouse did not answer)' : runs.map((r) => `${r.kind} ${r.completed}/${r.runs}`).join(', ') || 'none yet'} (completed/issued, on their schedules)`);
  let delivered = 'unknown';
  try {
    const text = await (await fetch(`${gatewayUrl}/metrics`, { signal: AbortSignal.timeout(2_000) })).text();
    delivered = String([...text.matchAll(/^gridfleet_gateway_deliveries_total\{kind="forecast",mode="(\w+)"\} (\d+)/gm)].reduce((a, m) => a + Number(m[2]), 0));
  } catch { /* the gateway is optional here */ }
  const planning = await query<{ planning: number; sites: number }>(clickhouseUrl, `SELECT uniqExactIf(site_id, mode IN ('COST_OPTIMIZED', 'BACKUP')) AS planning, uniqExact(site_id) AS sites FROM gridfleet.telemetry WHERE measured_at >= (SELECT max(measured_at) FROM gridfleet.telemetry) - INTERVAL 10 MINUTE AND measured_at >= ${since}`, login);
  const p = planning?.[0];
  lines.push(`  forecast bundles     ${delivered} delivered to devices by the gateway; ${p === undefined ? '?' : `${p.planning} of ${p.sites}`} sites planning their battery from one at the end`);
  const score = await query<{ kind: string; points: number; mae: number; mean: number }>(clickhouseUrl, `SELECT kind, count() AS points, avg(abs(forecast - actual)) AS mae, avg(actual) AS mean FROM gridfleet.forecast_points WHERE issued_at >= ${since} AND source = 'model' GROUP BY kind ORDER BY kind`, login);
  lines.push(`  forecast error       ${score === null ? '(ClickHouse did not answer)' : score.map((s) => `${s.kind} MAE ${s.mae.toFixed(2)} (mean ${s.mean.toFixed(2)}, ${s.points} points)`).join('; ') || 'nothing to score yet (needs a measured hour after an issue)'}`);
  lines.push('                       (SELECT * FROM gridfleet.forecast_scores: error by kind, region and horizon)');
  return lines;
};
