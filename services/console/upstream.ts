/**
 * Calls from the console to the operational services (control, assets, gateway, ingest), each
 * with a timeout, never throwing: an unreachable service is an answer (`status: null`) the panels
 * show, not a crash. The user's control token is forwarded as it came; control decides.
 */

export interface Answer {
  /** HTTP status, or null when there was no answer in time. */
  readonly status: number | null;
  readonly body: unknown;
  readonly text: string;
  readonly error: string | null;
}

export const call = async (url: string, opts: { method?: string; token?: string | null; body?: unknown; timeoutMs: number; headers?: Readonly<Record<string, string>> }): Promise<Answer> => {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token !== undefined && opts.token !== null) headers['authorization'] = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  try {
    const res = await fetch(url, {
      method: opts.method ?? 'GET', headers, signal: AbortSignal.timeout(opts.timeoutMs),
      ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
    });
    const text = await res.text();
    let body: unknown = null;
    try {
      body = text === '' ? null : JSON.parse(text);
    } catch {
      body = null;
    }
    return { status: res.status, body, text, error: null };
  } catch (e) {
    const timedOut = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError');
    return { status: null, body: null, text: '', error: timedOut ? `no answer within ${opts.timeoutMs} ms` : e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e) };
  }
};

/** The `{code, message}` of a control error answer, or a description of a missing answer. */
export const errorOf = (a: Answer, service: string): { code: string; message: string } => {
  if (a.status === null) return { code: 'UPSTREAM_UNAVAILABLE', message: `${service} did not answer: ${a.error ?? 'unknown error'}` };
  const b = typeof a.body === 'object' && a.body !== null ? (a.body as Record<string, unknown>) : {};
  return {
    code: typeof b['code'] === 'string' ? b['code'] : `HTTP_${a.status}`,
    message: typeof b['message'] === 'string' ? b['message'] : `${service} answered ${a.status}`,
  };
};
