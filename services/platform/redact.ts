/**
 * Credentials never reach the logs: a URL's query parameters that carry one (a device's
 * `?token=`, an `access_token`, a password) are replaced before a URL is logged, and so is the
 * password of a URL's user part (Redis and ClickHouse URLs may carry one). Pure.
 */
const SECRET_PARAMS = /^(token|access_token|password|passwd|secret|api_key|apikey|key|auth|authorization|sig|signature)$/i;

export const REDACTED = 'REDACTED';

/** The URL (absolute, or a request target like `/x?token=...`) with credentials replaced. */
export const redactUrl = (raw: string): string => {
  let out = raw.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*:)[^/@]*@/i, `$1${REDACTED}@`);
  const q = out.indexOf('?');
  if (q < 0) return out;
  const [query, hash = ''] = out.slice(q + 1).split('#', 2) as [string, string?];
  const parts = query.split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    let decoded = name;
    try {
      decoded = decodeURIComponent(name.replace(/\+/g, ' '));
    } catch {
      // An undecodable name is kept as it is.
    }
    return SECRET_PARAMS.test(decoded) && eq >= 0 ? `${name}=${REDACTED}` : pair;
  });
  out = `${out.slice(0, q)}?${parts.join('&')}${hash === '' ? '' : `#${hash}`}`;
  return out;
};
