/**
 * The fleet panel: the hierarchy as a keyboard-navigable tree (role=tree, one row in the tab
 * order at a time), the selected asset's live aggregate, and the map of sites.
 */
import { findNode, STATUS_COLOURS, STATUS_LABELS, treeRows } from '../fleet-view.ts';
import { formatCount, formatEnergyKwh, formatPct, formatPowerKw, formatUtc } from '../format.ts';
import { mapChart } from './charts.ts';
import { byId, el, fillPairs } from './dom.ts';

import type { FleetNode } from '../fleet-view.ts';
import type { FleetSnapshot } from '../fleet-view.ts';

export const aggregatePairs = (n: FleetNode): Array<[string, string]> => {
  const a = n.aggregate;
  const pairs: Array<[string, string]> = [
    ['Online', `${formatCount(a.onlineCount, 'devices')} of ${formatCount(a.deviceCount, 'devices')}`],
    ['Available energy (above reserve)', formatEnergyKwh(a.availableEnergyKwh)],
    ['Discharge headroom', formatPowerKw(a.dischargeHeadroomKw)],
    ['Charge headroom', formatPowerKw(a.chargeHeadroomKw)],
    ['Solar', formatPowerKw(a.solarKw)],
    ['Load', formatPowerKw(a.loadKw)],
    ['Grid (+ import)', formatPowerKw(a.gridKw)],
    ['Battery (+ discharge)', formatPowerKw(a.batteryKw)],
    ['Alarms', formatCount(a.alarmCount, 'alarms')],
  ];
  if (n.kind === 'SITE') pairs.push(['State of charge', formatPct(n.socPct)], ['Last seen', formatUtc(n.lastSeenMs, true)]);
  return pairs;
};

export const createFleetPanel = (o: { onDispatchFrom: (assetId: string) => void; canDispatch: boolean; dispatchWhy: string | null; onSelect: (assetId: string) => void; }) => {
  const tree = byId('tree', HTMLElement);
  const filter = byId('tree-filter', HTMLInputElement);
  const errorEl = byId('fleet-error', HTMLElement);
  const title = byId('node-title', HTMLElement);
  const agg = byId('node-aggregate', HTMLElement);
  const fromNode = byId('dispatch-from-node', HTMLButtonElement);
  const fromNodeWhy = byId('dispatch-from-node-why', HTMLElement);
  const legend = byId('map-legend', HTMLElement);
  const mapNote = byId('map-note', HTMLElement);
  const map = mapChart(byId('site-map', HTMLCanvasElement));
  legend.replaceChildren(...Object.entries(STATUS_LABELS).map(([k, label]) => {
    const li = el('li');
    const sw = el('span', { class: 'swatch' });
    sw.style.background = STATUS_COLOURS[(k as keyof typeof STATUS_COLOURS)];
    li.append(sw, label);
    return li;
  }));

  let root: FleetNode | null = null;
  const expanded: Set<string> = new Set();
  let selected: string | null = null;
  let focused: string | null = null;

  const showSelected = () => {
    const n = root === null || selected === null ? null : findNode(root, selected);
    if (n === null) {
      title.textContent = 'Select an asset';
      agg.replaceChildren();
      fromNode.hidden = true;
      return;
    }
    title.textContent = `${n.name} (${n.kind.toLowerCase()})`;
    fillPairs(agg, aggregatePairs(n));
    fromNode.hidden = false;
    fromNode.disabled = !o.canDispatch;
    fromNodeWhy.textContent = o.dispatchWhy ?? '';
  };

  const render = () => {
    if (root === null) return;
    expanded.add(root.assetId);
    const rows = treeRows(root, expanded, filter.value);
    const hadFocus = tree.contains(document.activeElement);
    if (focused === null || !rows.some((r) => r.assetId === focused)) focused = rows[0]?.assetId ?? null;
    tree.replaceChildren(...rows.map((r) => {
      const a = r.node.aggregate;
      const row = el('div', {
        role: 'treeitem', class: 'tree-row', 'data-asset-id': r.assetId, 'aria-level': String(r.depth + 1),
        'aria-selected': String(r.assetId === selected), tabindex: r.assetId === focused ? '0' : '-1',
      });
      if (r.hasChildren) row.setAttribute('aria-expanded', String(r.expanded));
      const name = el('span', { class: 'name' });
      name.style.paddingLeft = `${r.depth * 14}px`;
      name.append(`${r.hasChildren ? (r.expanded ? '▾ ' : '▸ ') : '  '}${r.name}`, el('span', { class: 'kind' }, r.kind));
      row.append(
        name,
        el('span', { class: 'num', title: 'online devices' }, `${a.onlineCount}/${a.deviceCount} online`),
        el('span', { class: 'num', title: 'available energy above reserve' }, formatEnergyKwh(a.availableEnergyKwh)),
        el('span', { class: 'num', title: 'discharge headroom' }, `↑ ${formatPowerKw(a.dischargeHeadroomKw)}`),
      );
      return row;
    }));
    if (hadFocus && focused !== null) focusRow(focused);
    showSelected();
  };

  const focusRow = (id: string) => {
    focused = id;
    for (const r of tree.querySelectorAll('[role="treeitem"]')) r.setAttribute('tabindex', r.getAttribute('data-asset-id') === id ? '0' : '-1');
    const target = tree.querySelector(`[data-asset-id="${CSS.escape(id)}"]`);
    if (target instanceof HTMLElement) target.focus();
  };

  const select = (id: string) => {
    selected = id;
    focused = id;
    if (root !== null && findNode(root, id)?.children.length) expanded.add(id);
    render();
    o.onSelect(id);
  };

  tree.addEventListener('click', (ev) => {
    const row = ev.target instanceof HTMLElement ? ev.target.closest('[data-asset-id]') : null;
    const id = row?.getAttribute('data-asset-id');
    if (id === null || id === undefined) return;
    if (id === selected && expanded.has(id)) expanded.delete(id);
    select(id);
    focusRow(id);
  });
  // Focus that arrives by mouse or Tab moves the roving position, so keys and re-renders follow it.
  tree.addEventListener('focusin', (ev) => {
    const id = ev.target instanceof HTMLElement ? ev.target.getAttribute('data-asset-id') : null;
    if (id !== null && id !== focused) focusRow(id);
  });
  tree.addEventListener('keydown', (ev) => {
    if (!(ev instanceof KeyboardEvent) || root === null || focused === null) return;
    const rows = treeRows(root, expanded, filter.value);
    const i = rows.findIndex((r) => r.assetId === focused);
    const row = rows[i];
    if (row === undefined) return;
    const move = (/** @type {number} */ j: number) => {
      const r = rows[Math.max(0, Math.min(rows.length - 1, j))];
      if (r !== undefined) focusRow(r.assetId);
    };
    switch (ev.key) {
      case 'ArrowDown': move(i + 1); break;
      case 'ArrowUp': move(i - 1); break;
      case 'Home': move(0); break;
      case 'End': move(rows.length - 1); break;
      case 'ArrowRight':
        if (row.hasChildren && !row.expanded) {
          expanded.add(row.assetId);
          render();
          focusRow(row.assetId);
        } else move(i + 1);
        break;
      case 'ArrowLeft':
        if (row.expanded) {
          expanded.delete(row.assetId);
          render();
          focusRow(row.assetId);
        } else {
          const parent = rows.slice(0, i).reverse().find((r) => r.depth < row.depth);
          if (parent !== undefined) focusRow(parent.assetId);
        }
        break;
      case 'Enter':
      case ' ':
        select(row.assetId);
        focusRow(row.assetId);
        break;
      default: return;
    }
    ev.preventDefault();
  });
  filter.addEventListener('input', render);
  fromNode.addEventListener('click', () => {
    if (selected !== null) o.onDispatchFrom(selected);
  });

  return {
    update(s: FleetSnapshot) {
      errorEl.textContent = s.error === null ? '' : `Fleet data may be stale: ${s.error}`;
      if (s.root === null) return;
      root = s.root;
      render();
      const ds = map.data.datasets[0];
      if (ds !== undefined) {
        ds.data = s.points.map((p) => ({ x: p.x, y: p.y }));
        ds.pointBackgroundColor = s.points.map((p) => STATUS_COLOURS[p.status]);
      }
      map.update();
      mapNote.textContent = `${formatCount(s.points.length, 'sites')} on the map${s.unplaced > 0 ? `, ${formatCount(s.unplaced, 'sites')} without a known location yet` : ''}${s.truncated ? '; the fleet is larger than the read API returns at once, so some branches show no children' : ''}. Updated ${formatUtc(s.atMs)}.`;
    },
    /** @returns {string[]} */
    assetIds(): string[] {
      const ids: string[] = [];
      const walk = (/** @type {FleetNode} */ n: FleetNode) => {
        if (n.kind !== 'SITE' && n.kind !== 'DEVICE') ids.push(n.assetId);
        for (const c of n.children) walk(c);
      };
      if (root !== null) walk(root);
      return ids;
    },
    selected: () => selected,
  };
};
