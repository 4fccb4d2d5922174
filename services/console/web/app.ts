/**
 * The page's entry: sign-in, the views a role may see (tabs, arrow keys between them), and the
 * live stream (server-sent events from /api/stream) that feeds the panels. The console checks the
 * role again on every call and control checks it too; hiding here is for the user, not security.
 */
import { formatUtc } from '../format.ts';
import { capabilitiesOf, dispatchRefusal } from '../roles.ts';
import { createDispatchPanel } from './dispatch-panel.ts';
import { api, byId, el, errorText } from './dom.ts';
import { createFleetPanel } from './fleet-panel.ts';
import { createForecastPanel } from './forecast-panel.ts';
import { createHealthPanel } from './health-panel.ts';
import { createSitePanel } from './site-panel.ts';

import type { ConsoleRole } from '../roles.ts';

type FleetPanel = ReturnType<typeof createFleetPanel>;
type DispatchPanel = ReturnType<typeof createDispatchPanel>;
type HealthPanel = ReturnType<typeof createHealthPanel>;
type SitePanel = ReturnType<typeof createSitePanel>;

const signinSection = byId('signin', HTMLElement);
const app = byId('app', HTMLElement);
const whoami = byId('whoami', HTMLElement);
const liveState = byId('live-state', HTMLElement);

const showView = (view: string) => {
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    const on = tab.getAttribute('data-view') === view;
    tab.setAttribute('aria-selected', String(on));
    tab.setAttribute('tabindex', on ? '0' : '-1');
    const panel = document.getElementById(`view-${tab.getAttribute('data-view') ?? ''}`);
    if (panel !== null) panel.hidden = !on;
  }
  window.dispatchEvent(new window.Event('resize'));
};

const tabs = () => [...document.querySelectorAll('[role="tab"]')].filter((t) => t instanceof HTMLElement && !t.hidden);
document.querySelector('[role="tablist"]')?.addEventListener('keydown', (ev) => {
  if (!(ev instanceof KeyboardEvent) || (ev.key !== 'ArrowRight' && ev.key !== 'ArrowLeft')) return;
  const list = tabs();
  const i = list.findIndex((t) => t.getAttribute('aria-selected') === 'true');
  const next = list[(i + (ev.key === 'ArrowRight' ? 1 : list.length - 1)) % list.length];
  if (next instanceof HTMLElement) {
    showView(next.getAttribute('data-view') ?? 'fleet');
    next.focus();
  }
});
for (const tab of document.querySelectorAll('[role="tab"]')) tab.addEventListener('click', () => showView(tab.getAttribute('data-view') ?? 'fleet'));

type Who = { role: ConsoleRole; siteId: string | null };

const start = (who: Who): void => {
  const caps = capabilitiesOf(who.role);
  signinSection.hidden = true;
  app.hidden = false;
  whoami.hidden = false;
  byId('role-badge', HTMLElement).textContent = who.siteId === null ? who.role : `${who.role} · ${who.siteId}`;
  const visible: Record<string, boolean> = { fleet: caps.seeFleet, dispatch: caps.seeEvents, forecasts: caps.seeForecasts, health: caps.seeHealth, site: caps.ownSite };
  for (const [view, on] of Object.entries(visible)) byId(`tab-${view}`, HTMLElement).hidden = !on;
  showView(caps.ownSite ? 'site' : 'fleet');

  const why = dispatchRefusal(who.role);
  const dispatch = caps.seeEvents ? createDispatchPanel({ canDispatch: caps.dispatch, why }) : null;
  const forecast = caps.seeForecasts ? createForecastPanel() : null;
  const fleet = caps.seeFleet
    ? createFleetPanel({
        canDispatch: caps.dispatch, dispatchWhy: why === null ? null : `Dispatch is disabled: ${why}.`,
        onDispatchFrom: (id) => {
          dispatch?.setScope(id);
          showView('dispatch');
        },
        onSelect: (id) => {
          forecast?.setScope(id);
          if (caps.dispatch) dispatch?.setScope(id);
        },
      })
    : null;
  const health = caps.seeHealth ? createHealthPanel() : null;
  const site = caps.ownSite && who.siteId !== null ? createSitePanel(who.siteId) : null;
  const options = byId('scope-options', HTMLElement);

  const stream = new EventSource('/api/stream');
  const on = <T>(name: string, fn: (data: T) => void): void => stream.addEventListener(name, (ev) => {
    try {
      fn(JSON.parse((ev as MessageEvent<string>).data) as T);
    } catch (e) {
      liveState.textContent = `bad ${name} message: ${String(e)}`;
    }
  });
  on('hello', () => (liveState.textContent = 'live'));
  on<Parameters<FleetPanel['update']>[0]>('fleet', (m) => {
    fleet?.update(m);
    const ids = fleet?.assetIds() ?? [];
    if (options.childElementCount !== ids.length) options.replaceChildren(...ids.map((id) => el('option', { value: id })));
    liveState.textContent = `live · fleet time ${formatUtc(m.atMs)}`;
  });
  on<Parameters<DispatchPanel['update']>[0]>('events', (m) => dispatch?.update(m));
  on<Parameters<HealthPanel['update']>[0]>('health', (m) => health?.update(m));
  on<Parameters<SitePanel['update']>[0]>('site', (m) => site?.update(m));
  stream.addEventListener('error', () => (liveState.textContent = 'reconnecting…'));
  byId('signout', HTMLButtonElement).addEventListener('click', () => {
    stream.close();
    void api('/api/session', { method: 'DELETE' }).then(() => window.location.reload());
  });
};

byId('signin-form', HTMLFormElement).addEventListener('submit', (ev) => {
  ev.preventDefault();
  const error = byId('signin-error', HTMLElement);
  const token = byId('signin-token', HTMLInputElement).value.trim();
  const siteId = byId('signin-site', HTMLInputElement).value.trim();
  if (token.length < 8) {
    error.textContent = 'A token has at least 8 characters.';
    return;
  }
  error.textContent = 'Checking the token with control…';
  void api<Who>('/api/session', { method: 'POST', body: { token, siteId } }).then((r) => {
    if (r.status !== 200) {
      error.textContent = errorText(r);
      return;
    }
    error.textContent = '';
    if (r.body !== null) start(r.body);
  });
});

void api<Who>('/api/session').then((r) => {
  if (r.status === 200 && r.body !== null) start(r.body);
  else byId('signin-token', HTMLInputElement).focus();
});
