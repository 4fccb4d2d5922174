/**
 * The URL of an HTTP request target, for servers on node:http. `new URL(req.url, base)` throws on
 * `//` (read as a scheme-relative URL with no host) and would take an absolute-form target's host
 * from the client; thrown in a request callback that ends the process. Only origin-form targets
 * (`/path?query`) are accepted, parsed against a fixed origin so `//x` is the path `//x`; anything
 * else (`*`, `http://host/path`, `x`) is undefined, for the caller to answer 400. Pure.
 */
const ORIGIN = 'http://localhost';

export const requestTarget = (raw: string | undefined): URL | undefined => {
  if (raw === undefined || !raw.startsWith('/')) return undefined;
  try {
    return new URL(`${ORIGIN}${raw}`);
  } catch {
    return undefined;
  }
};
