/** The health panel: each tier's state, and the live figures with their units. */
import { forecastLagMs } from '../health-view.ts';
import { formatCount, formatDurationMs, formatRate, formatUtc } from '../format.ts';
import { byId, el, fillPairs } from './dom.ts';

import type { HealthView } from '../health-view.ts';

export const createHealthPanel = () => {
  const tiers = byId('tiers-body', HTMLElement);
  const figures = byId('health-figures', HTMLElement);
  return {
    update(h: HealthView) {
      tiers.replaceChildren(...h.tiers.map((t) => {
        const tr = el('tr', { 'data-tier': t.tier });
        tr.append(el('th', { scope: 'row' }, t.tier), el('td', { class: `state-${t.state}` }, t.state), el('td', {}, t.detail));
        return tr;
      }));
      const p99 = h.produceP99Ms === null ? '—' : h.produceP99Ms === Infinity ? '> 5000 ms' : `≤ ${formatDurationMs(h.produceP99Ms)}`;
      fillPairs(figures, [
        ['Dispatch to all delivered (last event sent from this console)', h.dispatchToDeliveredMs === null ? '—' : `${formatDurationMs(h.dispatchToDeliveredMs)} (± ${formatDurationMs(h.pollMs)} polling)`],
        ['Gateway connections (push)', formatCount(h.gatewayConnections, 'devices')],
        ['Telemetry accepted', formatRate(h.telemetryPerSec, 'frames')],
        ['Gateway produce p99', p99],
        ['Ingest lag', formatCount(h.ingestLagRecords, 'records')],
        ['Ingest rows', formatRate(h.ingestRowsPerSec, 'rows')],
        ['Newest forecast bundle issued', formatUtc(h.newestForecastMs, true)],
        ['Forecast age vs newest telemetry (fleet time)', formatDurationMs(forecastLagMs(h))],
        ...h.forecastKinds.map((k) => ([
          `Forecast ${k.kind}`,
          `newest run ${formatDurationMs(k.ageSec === null ? null : k.ageSec * 1000)} old (fleet time); runs ${formatCount(k.completed, 'completed')}, ${formatCount(k.partial, 'partial')}, ${formatCount(k.failed, 'failed')}`,
        ] as [string, string])),
        ['Updated', formatUtc(h.atMs)],
      ]);
    },
  };
};
