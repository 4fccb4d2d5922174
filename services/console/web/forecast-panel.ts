/**
 * The forecast panel: the latest forecast against what happened, and the error by horizon, from
 * ClickHouse through the console. When analytics is down it says so; nothing else on the page
 * depends on it.
 */
import { KIND_UNITS } from '../forecast-queries.ts';
import { formatCount, formatPowerKw, formatUtc } from '../format.ts';
import { barChart, timeChart } from './charts.ts';
import { api, byId, el, errorText } from './dom.ts';

import type { ForecastView } from '../forecast-queries.ts';
import type { ForecastQuantity } from '../forecast-queries.ts';

export const createForecastPanel = () => {
  const form = byId('forecast-form', HTMLFormElement);
  const scope = byId('forecast-scope', HTMLInputElement);
  const status = byId('forecast-status', HTMLElement);
  const charts = byId('forecast-charts', HTMLElement);
  const table = byId('fc-error-table', HTMLElement);
  const errorNote = byId('fc-error-note', HTMLElement);
  const line = (id: string, unit: string) => timeChart(byId(id, HTMLCanvasElement), { yTitle: unit, series: [{ label: `forecast (${unit})`, colour: '#9333ea', dashed: true }, { label: `actual (${unit})`, colour: '#0b63c5' }] });
  const solar = line('fc-solar', 'kW');
  const load = line('fc-load', 'kW');
  const carbon = line('fc-carbon', 'gCO₂/kWh');
  const temp = line('fc-temp', '°C');
  const errors = barChart(byId('fc-error', HTMLCanvasElement), 'mean absolute error (kW)');
  let loading = false;

    const fill = (chart: ReturnType<typeof line>, q: ForecastQuantity) => {
    const [f, a] = chart.data.datasets;
    if (f !== undefined) f.data = [...q.forecast];
    if (a !== undefined) a.data = [...q.actual];
    chart.update();
  };

  const show = (v: ForecastView) => {
    status.classList.toggle('unavailable', v.state === 'unavailable');
    status.dataset['state'] = v.state;
    if (v.state === 'unavailable') {
      charts.hidden = true;
      status.textContent = `Analytics unavailable: ${v.reason}. Fleet, dispatch and health keep working without it.`;
      return;
    }
    if (v.state === 'empty') {
      charts.hidden = true;
      status.textContent = v.message;
      return;
    }
    charts.hidden = false;
    status.textContent = `${v.scope}: run ${v.runId} issued ${formatUtc(v.issuedAtMs, true)}, ${formatCount(v.sites, 'sites')}, steps of ${formatCount(v.stepMinutes, 'min')}. Solar and load are summed over the sites; carbon intensity and temperature are averaged.`;
    fill(solar, v.solarKw);
    fill(load, v.loadKw);
    fill(carbon, v.carbonGPerKwh);
    fill(temp, v.temperatureC);
    const horizons = [...new Set(v.errorByHorizon.map((h) => h.horizonH))].sort((a, b) => a - b);
    const maeAt = (kind: string) => horizons.map((hh) => v.errorByHorizon.find((h) => h.kind === kind && h.horizonH === hh)?.mae ?? null);
    errors.data.labels = horizons.map((h) => `${h} h`);
    const [s, l] = errors.data.datasets;
    if (s !== undefined) s.data = (maeAt('solar') as number[]);
    if (l !== undefined) l.data = (maeAt('load') as number[]);
    errors.update();
    // One row per horizon, one column per kind: mean absolute error with the bias (forecast − actual) after it.
    const kinds = Object.keys(KIND_UNITS).filter((k) => v.errorByHorizon.some((h) => h.kind === k));
    const withUnit = (x: number, unit: string) => (unit === 'kW' ? formatPowerKw(x) : `${x.toFixed(unit === 'gCO₂/kWh' || unit === 'W/m²' ? 0 : 1)} ${unit}`);
    const head = el('tr');
    head.append(el('th', { scope: 'col' }, 'Horizon'), ...kinds.map((k) => el('th', { scope: 'col' }, `${k} MAE (bias)`)), el('th', { scope: 'col' }, 'Points'));
    table.replaceChildren(head, ...horizons.map((hh) => {
      const tr = el('tr');
      tr.append(el('td', {}, `${hh} h`));
      let points = 0;
      for (const k of kinds) {
        const e = v.errorByHorizon.find((h) => h.kind === k && h.horizonH === hh);
        const unit = KIND_UNITS[k] ?? '';
        points += e?.n ?? 0;
        tr.append(el('td', {}, e === undefined ? '—' : `${withUnit(e.mae, unit)} (${e.bias >= 0 ? '+' : ''}${withUnit(e.bias, unit)})`));
      }
      tr.append(el('td', {}, formatCount(points, 'points')));
      return tr;
    }));
    errorNote.textContent = v.errorNote ?? (v.errorByHorizon.length === 0 ? 'No forecast of this scope has been scored against actuals yet.' : '');
  };

  const load_ = () => {
    if (loading) return;
    const s = scope.value.trim();
    if (s === '') {
      status.textContent = 'Pick a region, site or cell first.';
      return;
    }
    loading = true;
    status.textContent = `Asking analytics about ${s}…`;
    status.dataset['state'] = 'loading';
    void api<ForecastView>(`/api/forecast?scope=${encodeURIComponent(s)}`).then((r) => {
      loading = false;
      if (r.status === 200 && r.body !== null) show(r.body);
      else {
        status.dataset['state'] = 'error';
        status.textContent = errorText(r);
      }
    }, (/** @type {unknown} */ e: unknown) => {
      loading = false;
      status.dataset['state'] = 'error';
      status.textContent = `The console did not answer: ${String(e)}`;
    });
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    load_();
  });

  return {
    setScope(assetId: string) {
      if (scope.value.trim() === '') scope.value = assetId;
    },
  };
};
