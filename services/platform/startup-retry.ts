/**
 * Services started while Kafka (or the registry) is down wait for it instead of exiting: each
 * main.ts calls `waitForBackbone` before its first Kafka call. Until a broker of the bootstrap
 * list accepts connections and the registry answers HTTP, it retries with
 * exponential backoff (with jitter, capped) and, when given the service's port, holds that port
 * with a placeholder whose /healthz answers 503 `{ok: false, status: "waiting", reason}`, so a
 * supervisor or an orchestrator sees "not ready" rather than a crash loop. The placeholder is
 * closed just before the service binds the port itself. It never gives up: a service that cannot
 * reach Kafka is not ready, not broken.
 *
 * The check is a TCP connect (and one HTTP request to the registry), not a Kafka request: a
 * kafkajs connect against a dead broker spends its whole retry budget (tens of seconds) before it
 * fails, while a refused connect answers in a millisecond.
 */
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import type { Logger } from './logger.ts';

export interface BackboneWait {
  readonly service: string;
  readonly logger: Logger;
  /** host:port of the Kafka bootstrap brokers. */
  readonly brokers: readonly string[];
  /** The schema registry's URL (optional: services that do not decode Avro leave it out). */
  readonly registryUrl?: string;
  /** The service's own HTTP port and host, held with a not-ready /healthz while waiting. */
  readonly hold?: { readonly port: number; readonly host?: string };
  /** First and longest wait between two tries (default 250 ms and 5 s). */
  readonly initialMs?: number;
  readonly maxMs?: number;
}

const tcpReachable = (hostPort: string, timeoutMs: number): Promise<boolean> =>
  new Promise((resolve) => {
    const i = hostPort.lastIndexOf(':');
    const host = hostPort.slice(0, i).replace(/^\[|\]$/g, '') || '127.0.0.1';
    const port = Number(hostPort.slice(i + 1));
    const s = connect({ host, port });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });

const httpReachable = async (url: string, timeoutMs: number): Promise<boolean> => {
  try {
    // Any answer, even 401, means the registry is up.
    await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return true;
  } catch {
    return false;
  }
};

/** What is missing now, or null when Kafka and the registry both answer. */
export const backboneProblem = async (w: Pick<BackboneWait, 'brokers' | 'registryUrl'>, timeoutMs = 1_000): Promise<string | null> => {
  const brokers = await Promise.all(w.brokers.map((b) => tcpReachable(b, timeoutMs)));
  if (!brokers.some(Boolean)) return `waiting for Kafka: no broker of ${w.brokers.join(',')} accepts connections`;
  if (w.registryUrl !== undefined && !(await httpReachable(w.registryUrl, timeoutMs))) return `waiting for the schema registry at ${w.registryUrl}`;
  return null;
};

/** The backoff before try n (0-based): doubling from initialMs, capped at maxMs, with ±20 % jitter. */
export const backoffMs = (n: number, initialMs: number, maxMs: number, random: () => number = Math.random): number =>
  Math.round(Math.min(maxMs, initialMs * 2 ** Math.min(n, 20)) * (0.8 + 0.4 * random()));

const placeholder = (service: string, reason: () => string, hold: { port: number; host?: string }): Promise<Server | null> =>
  new Promise((resolve) => {
    const server = createServer((req, res) => {
      const body = JSON.stringify({ ok: false, status: 'waiting', service, reason: reason() });
      res.writeHead(503, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'retry-after': '1' });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
    // A port someone else holds is the service's own problem to report when it binds.
    server.once('error', () => resolve(null));
    server.listen(hold.port, hold.host ?? '127.0.0.1', () => resolve(server));
  });

/** Resolves once Kafka (and the registry, when given) can be reached; never rejects. */
export const waitForBackbone = async (w: BackboneWait): Promise<void> => {
  let problem = await backboneProblem(w);
  if (problem === null) return;
  const hold = w.hold !== undefined && w.hold.port > 0 ? await placeholder(w.service, () => problem ?? 'starting', w.hold) : null;
  const started = Date.now();
  for (let n = 0; problem !== null; n++) {
    const waitMs = backoffMs(n, w.initialMs ?? 250, w.maxMs ?? 5_000);
    w.logger.warn(`${w.service} not ready: ${problem}; retrying in ${waitMs} ms`, { attempt: n + 1, waitingMs: Date.now() - started });
    await new Promise((r) => setTimeout(r, waitMs));
    problem = await backboneProblem(w);
  }
  w.logger.info(`${w.service}: Kafka reachable, starting`, { waitedMs: Date.now() - started });
  if (hold !== null) await new Promise<void>((r) => hold.close(() => r()));
};
