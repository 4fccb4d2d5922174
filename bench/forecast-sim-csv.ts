/**
 * Writes the simulated fleet's series as the CSVs a user would backtest
 * (`npx tsx bench/forecast-sim-csv.ts <dir> [seed] [days]`): `<dir>/emissions-actuals.csv`
 * (`from, actual`, hourly gCO2/kWh), `<dir>/emissions-provider.csv` (`issued_at, target_at,
 * forecast`: the simulated grid operator's issues every 30 minutes, 48 h each), and the same for
 * temperature. Then, for example:
 *
 *   npm run forecast -- backtest --kind emissions --csv <dir>/emissions-actuals.csv --provider-csv <dir>/emissions-provider.csv
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOUR_MS } from '../services/analytics/forecast/models/hourly-series.ts';
import { simProviderIssues, simSeries } from '../test/unit/analytics/forecast/sim-series.ts';

const [dir = 'sim-csv', seedRaw = '3', daysRaw = '42'] = process.argv.slice(2);
const seed = Number(seedRaw);
const sim = simSeries(seed, Date.UTC(2025, 3, 1), Number(daysRaw));
mkdirSync(dir, { recursive: true });
const iso = (t: number): string => new Date(t).toISOString().slice(0, 16) + 'Z';
for (const [name, kind] of [['emissions', 'carbon'], ['temperature', 'temperature']] as const) {
  const s = sim[kind];
  writeFileSync(join(dir, `${name}-actuals.csv`), ['from,actual', ...Array.from(s.values, (v, i) => `${iso(s.startMs + i * HOUR_MS)},${v.toFixed(2)}`)].join('\n') + '\n');
  const rows = ['issued_at,target_at,forecast'];
  for (const p of simProviderIssues(seed, kind, s)) Array.from(p.values).forEach((v, j) => Number.isFinite(v) && rows.push(`${iso(p.issuedAtMs)},${iso(p.startMs + j * HOUR_MS)},${v.toFixed(2)}`));
  writeFileSync(join(dir, `${name}-provider.csv`), rows.join('\n') + '\n');
}
process.stdout.write(`wrote ${dir}/{emissions,temperature}-{actuals,provider}.csv (seed ${seed}, ${daysRaw} days)\n`);
