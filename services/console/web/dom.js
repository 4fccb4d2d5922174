// @ts-check
/* global document, fetch */
/** Small DOM helpers for the page (no framework: the page is a few panels). */

/**
 * The element with this id, of the given type; throws when the page lacks it (a programming error).
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} type
 * @returns {T}
 */
export const byId = (id, type) => {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`the page has no ${type.name} #${id}`);
  return el;
};

/**
 * A new element with text and attributes.
 * @param {string} tag
 * @param {Record<string, string>} [attrs]
 * @param {string} [text]
 * @returns {HTMLElement}
 */
export const el = (tag, attrs = {}, text) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
};

/**
 * Fills a <dl> with label/value pairs (values already carry their units).
 * @param {HTMLElement} dl
 * @param {ReadonlyArray<readonly [string, string]>} pairs
 */
export const fillPairs = (dl, pairs) => {
  dl.replaceChildren(...pairs.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
};

/**
 * JSON over fetch to the console's own API (the session cookie goes along).
 * @param {string} path
 * @param {{ method?: string, body?: unknown }} [opts]
 * @returns {Promise<{ status: number, body: any }>}
 */
export const api = async (path, opts = {}) => {
  /** @type {Record<string, string>} */
  const headers = {};
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method: opts.method ?? 'GET', headers, credentials: 'same-origin', ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }) });
  /** @type {any} */
  const body = await res.json().catch(() => null);
  return { status: res.status, body };
};

/**
 * An error answer as one line for the page.
 * @param {{ status: number, body: any }} r
 * @returns {string}
 */
export const errorText = (r) => {
  const b = r.body;
  if (b && typeof b.message === 'string') return `${typeof b.code === 'string' ? `${b.code}: ` : ''}${b.message}`;
  return `the console answered ${r.status}`;
};
