/** A customer's view: their one site's state, the events it is in with opt-out, and its reserve. */
import { formatPct, formatPowerKw, formatUtc } from '../format.ts';
import { api, byId, el, errorText, fillPairs } from './dom.ts';
import { aggregatePairs } from './fleet-panel.ts';

import type { FleetNode } from '../fleet-view.ts';

type SiteEvent = { eventId: string, kind: string, status: string, startMs: number, endMs: number, powerKw: number | null, optedOut: boolean };
type SiteMessage = { atMs: number, siteId: string, node: FleetNode | null, choices: { reservePct: number | null, events: SiteEvent[] } | null, error: string | null };

export const createSitePanel = (siteId: string) => {
  const title = byId('site-title', HTMLElement);
  const state = byId('site-state', HTMLElement);
  const error = byId('site-error', HTMLElement);
  const list = byId('site-events', HTMLElement);
  const form = byId('reserve-form', HTMLFormElement);
  const reserve = byId('reserve-pct', HTMLInputElement);
  const message = byId('reserve-message', HTMLElement);
  title.textContent = `My site: ${siteId}`;

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const raw = reserve.value.trim();
    const pct = raw === '' ? null : Number(raw);
    if (pct !== null && !(Number.isFinite(pct) && pct >= 0 && pct <= 100)) {
      message.textContent = 'The reserve is a percentage from 0 to 100, or empty for the site\'s own backup reserve.';
      return;
    }
    void api(`/api/sites/${encodeURIComponent(siteId)}/reserve`, { method: 'PUT', body: { reservePct: pct } }).then((r) => {
      message.textContent = r.status === 200 ? `Reserve set to ${pct === null ? 'the site\'s own backup reserve' : formatPct(pct)}.` : `Refused: ${errorText(r)}`;
    });
  });

  return {
    update(m: SiteMessage) {
      error.textContent = m.error ?? '';
      if (m.node !== null) fillPairs(state, aggregatePairs(m.node));
      const events = m.choices?.events ?? [];
      list.replaceChildren(...(events.length === 0 ? [el('li', {}, 'No events for this site.')] : events.map((e) => {
        const li = el('li');
        li.append(`${e.kind} ${e.status.toLowerCase()}, ${formatUtc(e.startMs)} to ${formatUtc(e.endMs)}, my share ${formatPowerKw(e.powerKw)} `);
        if (e.optedOut) li.append(el('strong', {}, '(opted out)'));
        else if (e.status === 'ACTIVE' || e.status === 'SCHEDULED') {
          const b = el('button', { type: 'button' }, 'Opt out');
          b.addEventListener('click', () => {
            void api(`/api/sites/${encodeURIComponent(siteId)}/opt-outs`, { method: 'POST', body: { eventId: e.eventId } }).then((r) => {
              li.append(r.status === 200 ? ' opted out.' : ` refused: ${errorText(r)}`);
            });
          });
          li.append(b);
        }
        return li;
      })));
    },
  };
};
