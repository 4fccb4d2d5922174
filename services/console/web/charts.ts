/**
 * Chart.js set-up for the page: time lines (x is UTC epoch ms on a linear axis, labelled as UTC
 * clock time, so no date adapter is needed), the site map (a scatter of longitude and latitude),
 * and bars. Every axis title carries its unit.
 */
import { Chart, registerables } from 'chart.js';
import { formatUtc } from '../format.ts';

Chart.register(...registerables);
Chart.defaults.animation = false;
Chart.defaults.font.family = 'system-ui, sans-serif';

export const timeChart = (canvas: HTMLCanvasElement, o: { yTitle: string; fromZero?: boolean; series: ReadonlyArray<{ label: string; colour: string; dashed?: boolean; stepped?: boolean; }>; }): Chart<'line',Array<{ x: number; y: number; }>> =>
  new Chart(canvas, {
    type: 'line',
    data: {
      datasets: o.series.map((s) => ({
        label: s.label, data: [], borderColor: s.colour, backgroundColor: s.colour, borderWidth: 2, pointRadius: 0, pointHitRadius: 6,
        ...(s.dashed === true ? { borderDash: [6, 4] } : {}), ...(s.stepped === true ? { stepped: true } : {}),
      })),
    },
    options: {
      responsive: true, maintainAspectRatio: false, parsing: false, normalized: true,
      interaction: { mode: 'nearest', intersect: false },
      scales: {
        x: {
          type: 'linear', title: { display: true, text: 'time (UTC)' },
          // Clock time to the minute over long spans, to the second over short ones.
          ticks: { maxTicksLimit: 7, callback: function (v) { return formatUtc(Number(v)).slice(0, this.max - this.min < 15 * 60_000 ? 8 : 5); } },
        },
        y: { title: { display: true, text: o.yTitle }, beginAtZero: o.fromZero === true },
      },
      plugins: { legend: { position: 'bottom' }, tooltip: { callbacks: { title: (items) => formatUtc(items[0]?.parsed.x ?? null) } } },
    },
  });

export const mapChart = (canvas: HTMLCanvasElement): Chart<'scatter',Array<{ x: number; y: number; }>> =>
  new Chart(canvas, {
    type: 'scatter',
    data: { datasets: [{ label: 'sites', data: [], pointRadius: 4, pointBackgroundColor: [], pointBorderWidth: 0 }] },
    options: {
      responsive: true, maintainAspectRatio: false, parsing: false,
      scales: { x: { grace: '3%', title: { display: true, text: 'longitude (°)' } }, y: { grace: '3%', title: { display: true, text: 'latitude (°)' } } },
      plugins: { legend: { display: false } },
    },
  });

export const barChart = (canvas: HTMLCanvasElement, yTitle: string): Chart<'bar',number[],string> =>
  new Chart(canvas, {
    type: 'bar',
    data: { labels: [], datasets: [{ label: 'solar MAE (kW)', data: [], backgroundColor: '#f59e0b' }, { label: 'load MAE (kW)', data: [], backgroundColor: '#3b82f6' }] },
    options: {
      responsive: true, maintainAspectRatio: false,
      scales: { x: { title: { display: true, text: 'horizon (h)' } }, y: { title: { display: true, text: yTitle }, beginAtZero: true } },
      plugins: { legend: { position: 'bottom' } },
    },
  });
