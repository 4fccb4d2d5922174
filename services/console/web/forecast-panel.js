// @ts-check
/* global HTMLElement, HTMLInputElement, HTMLCanvasElement, HTMLFormElement */
/**
 * The forecast panel: the latest forecast against what happened, and the error by horizon, from
 * ClickHouse through the console. When analytics is down it says so; nothing else on the page
 * depends on it.
 */
import { formatCount, formatPowerKw, formatUtc } from '../format.ts';
import { barChart, timeChart } from './charts.js';
import { api, byId, el, errorText } from './dom.js';

/** @typedef {import('../forecast-queries.ts').ForecastView} ForecastView */
/** @typedef {import('../forecast-queries.ts').ForecastQuantity} ForecastQuantity */

export const createForecastPanel = () => {
  const form = byId('forecast-form', HTMLFormElement);
  const scope = byId('forecast-scope', HTMLInputElement);
  const status = byId('forecast-status', HTMLElement);
  const charts = byId('forecast-charts', HTMLElement);
  const table = byId('fc-error-table', HTMLElement);
  /** @param {string} id @param {string} unit */
  const line = (id, unit) => timeChart(byId(id, HTMLCanvasElement), { yTitle: unit, series: [{ label: `forecast (${unit})`, colour: '#9333ea', dashed: true }, { label: `actual (${unit})`, colour: '#0b63c5' }] });
  const solar = line('fc-solar', 'kW');
  const load = line('fc-load', 'kW');
  const carbon = line('fc-carbon', 'gCO₂/kWh');
  const temp = line('fc-temp', '°C');
  const errors = barChart(byId('fc-error', HTMLCanvasElement), 'mean absolute error (kW)');
  let loading = false;

  /**
   * @param {ReturnType<typeof line>} chart
   * @param {ForecastQuantity} q
   */
  const fill = (chart, q) => {
    const [f, a] = chart.data.datasets;
    if (f !== undefined) f.data = [...q.forecast];
    if (a !== undefined) a.data = [...q.actual];
    chart.update();
  };

  /** @param {ForecastView} v */
  const show = (v) => {
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
    errors.data.labels = v.errorByHorizon.map((h) => `${h.horizonH} h`);
    const [s, l] = errors.data.datasets;
    if (s !== undefined) s.data = v.errorByHorizon.map((h) => h.solarMaeKw);
    if (l !== undefined) l.data = v.errorByHorizon.map((h) => h.loadMaeKw);
    errors.update();
    const head = el('tr');
    head.append(el('th', { scope: 'col' }, 'Horizon'), el('th', { scope: 'col' }, 'Solar MAE'), el('th', { scope: 'col' }, 'Load MAE'), el('th', { scope: 'col' }, 'Pairs'));
    table.replaceChildren(head, ...v.errorByHorizon.map((h) => {
      const tr = el('tr');
      tr.append(el('td', {}, `${h.horizonH} h`), el('td', {}, formatPowerKw(h.solarMaeKw)), el('td', {}, formatPowerKw(h.loadMaeKw)), el('td', {}, formatCount(h.n, 'pairs')));
      return tr;
    }));
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
    void api(`/api/forecast?scope=${encodeURIComponent(s)}`).then((r) => {
      loading = false;
      if (r.status === 200) show(r.body);
      else {
        status.dataset['state'] = 'error';
        status.textContent = errorText(r);
      }
    }, (/** @type {unknown} */ e) => {
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
    /** @param {string} assetId */
    setScope(assetId) {
      if (scope.value.trim() === '') scope.value = assetId;
    },
  };
};
