/** Small DOM helpers for the page (no framework: the page is a few panels). */

/**
 * The element with this id, of the given type; throws when the page lacks it (a programming error).
 */
export const byId = <T extends HTMLElement>(id: string, type: new () => T): T => {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`the page has no ${type.name} #${id}`);
  return el;
};

/**
 * A new element with text and attributes.
 */
export const el = (tag: string, attrs: Record<string, string> = {}, text?: string): HTMLElement => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
};

/**
 * Fills a <dl> with label/value pairs (values already carry their units).
 */
export const fillPairs = (dl: HTMLElement, pairs: ReadonlyArray<readonly [string, string]>) => {
  dl.replaceChildren(...pairs.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
};

/** An answer of the console's API: the status and the parsed JSON body (null when there is none). */
export interface ApiAnswer<T> { status: number; body: T | null }

/**
 * JSON over fetch to the console's own API (the session cookie goes along). `T` is the shape the
 * console's server sends for a 2xx (services/console/http-server.ts builds it from the same types);
 * callers check the status before they use the body.
 */
export const api = async <T = unknown>(path: string, opts: { method?: string; body?: unknown } = {}): Promise<ApiAnswer<T>> => {
  const headers: Record<string, string> = {};
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method: opts.method ?? 'GET', headers, credentials: 'same-origin', ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }) });
  const body = (await res.json().catch(() => null)) as T | null;
  return { status: res.status, body };
};

/**
 * An error answer as one line for the page.
 */
export const errorText = (r: ApiAnswer<unknown>): string => {
  const b = typeof r.body === 'object' && r.body !== null ? (r.body as { message?: unknown; code?: unknown }) : {};
  if (typeof b.message === 'string') return `${typeof b.code === 'string' ? `${b.code}: ` : ''}${b.message}`;
  return `the console answered ${r.status}`;
};
