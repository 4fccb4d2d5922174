/**
 * The dispatch panel: the new-event form (disabled with the reason for roles that may not
 * dispatch), the events list, and the selected event's fulfillment: target against measured
 * response as a chart, command counts, rejections, and Cancel.
 */
import { chartSeries, dispatchBody, isOpen, metShare } from '../fulfillment-view.ts';
import { formatCount, formatPct, formatPowerKw, formatUtc } from '../format.ts';
import { timeChart } from './charts.ts';
import { api, byId, el, errorText, fillPairs } from './dom.ts';

import type { EventSummary } from '../fulfillment-view.ts';
import type { FulfillmentDetail } from '../fulfillment-view.ts';

export const createDispatchPanel = (o: { canDispatch: boolean; why: string | null; }) => {
  const form = byId('dispatch-form', HTMLFormElement);
  const kind = byId('dispatch-kind', HTMLSelectElement);
  const scope = byId('dispatch-scope', HTMLInputElement);
  const target = byId('dispatch-target', HTMLInputElement);
  const duration = byId('dispatch-duration', HTMLInputElement);
  const reason = byId('dispatch-reason', HTMLInputElement);
  const submit = byId('dispatch-submit', HTMLButtonElement);
  const why = byId('dispatch-why', HTMLElement);
  const message = byId('dispatch-message', HTMLElement);
  const eventsError = byId('events-error', HTMLElement);
  const body = byId('events-body', HTMLElement);
  const card = byId('fulfillment-card', HTMLElement);
  const title = byId('fulfillment-title', HTMLElement);
  const summary = byId('fulfillment-summary', HTMLElement);
  const canvas = byId('fulfillment-chart', HTMLCanvasElement);
  const commands = byId('fulfillment-commands', HTMLElement);
  const rejections = byId('fulfillment-rejections', HTMLElement);
  const cancel = byId('cancel-event', HTMLButtonElement);
  const cancelWhy = byId('cancel-why', HTMLElement);
  /** What the last cancel answered, for the event it was about. */
  let notice: { readonly eventId: string; readonly text: string; readonly className: string } | null = null;
  const chart = timeChart(canvas, {
    yTitle: 'power (kW)',
    fromZero: true,
    series: [{ label: 'target (kW)', colour: '#dc2626', dashed: true }, { label: 'measured response (kW)', colour: '#0b63c5' }],
  });

  submit.disabled = !o.canDispatch;
  cancel.disabled = !o.canDispatch;
  why.textContent = o.why === null ? '' : `Dispatch is disabled: ${o.why}.`;
  for (const input of [kind, scope, target, duration, reason]) input.disabled = !o.canDispatch;

  let events: EventSummary[] = [];
  let details: Map<string, FulfillmentDetail> = new Map();
  let selected: string | null = null;
  // "Now" in the services' time (simulated in a simulation), from the newest stream message.
  let nowMs = Date.now();

  const renderSelected = () => {
    const e = events.find((x) => x.eventId === selected);
    const d = selected === null ? undefined : details.get(selected);
    if (e === undefined) {
      card.hidden = true;
      return;
    }
    card.hidden = false;
    title.textContent = `${e.kind} on ${e.scopeAssetId}: ${e.status.toLowerCase()}`;
    const open = isOpen(e.status);
    cancel.hidden = !open;
    cancel.disabled = !o.canDispatch || !open;
    // The answer to this event's cancel stays until another event is selected (a refresh must not wipe it).
    const shown = notice !== null && notice.eventId === selected ? notice : null;
    cancelWhy.textContent = !o.canDispatch ? `Cancel is disabled: ${o.why ?? ''}.` : (shown?.text ?? '');
    cancelWhy.className = o.canDispatch ? (shown?.className ?? '') : '';
    if (d === undefined) {
      summary.textContent = 'Waiting for its fulfillment…';
      return;
    }
    const share = metShare(d);
    summary.textContent = d.targetKw === null
      ? `Protective event: ${formatCount(d.deliveredSites, 'sites')} of ${formatCount(d.targetedSites, 'sites')} answered.`
      : `Measured ${formatPowerKw(d.responseKw)} of the ${formatPowerKw(d.targetKw)} target (${formatPct(share === null ? null : share * 100)}); allocated ${formatPowerKw(e.allocatedKw)}, shortfall ${formatPowerKw(e.shortfallKw)}. Window ${formatUtc(e.startMs)} to ${formatUtc(e.endMs)}.`;
    const s = chartSeries(d, e, nowMs);
    const [t, m] = chart.data.datasets;
    if (t !== undefined) t.data = [...s.target];
    if (m !== undefined) m.data = [...s.measured];
    chart.update();
    // What the chart plots, for screen readers and the browser tests: the last measured point and the target.
    canvas.dataset['measuredKw'] = String(s.measured.at(-1)?.y ?? '');
    canvas.dataset['targetKw'] = String(d.targetKw ?? '');
    canvas.setAttribute('aria-label', `Target ${formatPowerKw(d.targetKw)} against measured fleet response, now ${formatPowerKw(d.responseKw)}`);
    const c = d.commands;
    fillPairs(commands, [
      ['Issued', formatCount(c.issued, 'commands')], ['Delivered', `${formatCount(d.deliveredSites, 'sites')} of ${formatCount(d.targetedSites, 'sites')}`],
      ['Accepted', formatCount(c.accepted, 'commands')], ['Rejected', formatCount(c.rejected, 'commands')],
      ['Completed', formatCount(c.completed, 'commands')], ['Expired', formatCount(c.expired, 'commands')],
    ]);
    rejections.replaceChildren(...d.rejections.map((r) => el('li', {}, `${r.siteId}: ${r.reason ?? 'no reason given'}`)));
  };

  const renderList = () => {
    body.replaceChildren(...events.map((e) => {
      const tr = el('tr', { 'aria-selected': String(e.eventId === selected), 'data-event-id': e.eventId });
      const cell = el('td');
      const b = el('button', { type: 'button', class: 'link' }, `${e.kind} ${e.eventId.slice(4, 12)}`);
      b.addEventListener('click', () => {
        selected = e.eventId;
        renderList();
        renderSelected();
      });
      cell.append(b);
      tr.append(cell, el('td', {}, e.status.toLowerCase()), el('td', {}, e.scopeAssetId), el('td', {}, formatPowerKw(e.targetKw)), el('td', {}, formatPowerKw(e.allocatedKw)), el('td', {}, formatCount(e.sites, 'sites')));
      return tr;
    }));
  };

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!o.canDispatch) return;
    const b = dispatchBody({ kind: kind.value, scopeAssetId: scope.value, targetMw: target.value, durationMin: duration.value, reason: reason.value });
    if (!b.ok) {
      message.className = 'error';
      message.textContent = b.errors.join('; ');
      return;
    }
    submit.disabled = true;
    message.className = '';
    message.textContent = 'Sending…';
    void api<{ event?: { eventId?: string }; sites?: number; allocatedKw?: number }>('/api/events', { method: 'POST', body: b.value }).then((r) => {
      submit.disabled = !o.canDispatch;
      if (r.status !== 201) {
        message.className = 'error';
        message.textContent = `Refused: ${errorText(r)}`;
        return;
      }
      const id = String(r.body?.event?.eventId ?? '');
      message.className = 'ok';
      message.textContent = `Event ${id} created: ${formatCount(r.body?.sites, 'sites')} allocated ${formatPowerKw(r.body?.allocatedKw)}.`;
      selected = id;
    });
  });

  cancel.addEventListener('click', () => {
    if (selected === null || !o.canDispatch) return;
    const id = selected;
    cancel.disabled = true;
    void api(`/api/events/${encodeURIComponent(id)}/cancel`, { method: 'POST', body: { reason: 'cancelled from the console' } }).then((r) => {
      notice = { eventId: id, text: r.status === 200 ? `Event ${id} cancelled: every site gets a release.` : `Cancel refused: ${errorText(r)}`, className: r.status === 200 ? 'ok' : 'error' };
      cancelWhy.textContent = notice.text;
      cancelWhy.className = notice.className;
    });
  });

  return {
    update(m: { atMs: number; events: EventSummary[]; details: FulfillmentDetail[]; error: string | null; }) {
      nowMs = m.atMs;
      eventsError.textContent = m.error === null ? '' : `Events may be stale: ${m.error}`;
      if (m.error !== null) return;
      events = m.events;
      details = new Map(m.details.map((d) => [d.eventId, d]));
      if (selected === null) selected = events.find((e) => isOpen(e.status))?.eventId ?? null;
      renderList();
      renderSelected();
    },
    setScope(assetId: string) {
      scope.value = assetId;
      if (o.canDispatch) target.focus();
    },
  };
};
