/** Small HTTP helpers of the services' APIs: bounded JSON bodies, JSON answers, secret comparison. */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { err, ok, type Result } from './result.ts';

export interface BodyError {
  readonly status: number;
  readonly code: 'OVERSIZED' | 'MALFORMED';
  readonly message: string;
}

export const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
};

export const sendError = (res: ServerResponse, status: number, code: string, message: string): void => sendJson(res, status, { code, message });

/**
 * Reads a JSON body of at most maxBytes; a larger one is refused (413) as soon as it passes the
 * limit. An empty body is `opts.empty` when given, else malformed.
 */
export const readJsonBody = (req: IncomingMessage, maxBytes: number, opts: { empty?: unknown } = {}): Promise<Result<unknown, BodyError>> =>
  new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (r: Result<unknown, BodyError>): void => {
      if (!done) {
        done = true;
        resolve(r);
      }
    };
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) {
        finish(err({ status: 413, code: 'OVERSIZED', message: `body is larger than ${maxBytes} bytes` }));
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (size === 0 && 'empty' in opts) return finish(ok(opts.empty));
      try {
        finish(ok(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      } catch (e) {
        finish(err({ status: 400, code: 'MALFORMED', message: `body is not JSON: ${e instanceof Error ? e.message : String(e)}` }));
      }
    });
    req.on('error', (e) => finish(err({ status: 400, code: 'MALFORMED', message: e.message })));
  });

export const sameSecret = (given: string | undefined, expected: string): boolean => {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};
