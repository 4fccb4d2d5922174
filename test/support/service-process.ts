/**
 * Starts a service as production runs it (its main.ts in a child process, so a crash or SIGKILL
 * is real) on a port chosen here, and waits until it answers GET /healthz. No harness reads a port
 * out of a log line: the port is given to the service, and health is what the service says.
 *
 * Cleanup is registered where the process is born: pass the test's hook (`afterAll`,
 * `onTestFinished`) as `cleanup` and the process is stopped when that scope ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { httpsGet, type TlsClient } from './tls.ts';

export interface ServiceProcess {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the signal or exit code when it exits. */
  readonly exited: Promise<string>;
  alive(): boolean;
  /** SIGTERM (or the given signal), then the exit. */
  stop(signal?: NodeJS.Signals): Promise<string>;
}

export interface ServiceProcessOptions {
  readonly name: string;
  /** The entry file, relative to the repository root (`services/operational/control/main.ts`). */
  readonly entry: string;
  /** The variable that sets its HTTP port (`CONTROL_PORT`); the value is chosen here. */
  readonly portEnv: string;
  readonly env: Readonly<Record<string, string>>;
  /** The test's hook that runs the stop (afterAll, afterEach, onTestFinished). */
  readonly cleanup: (fn: () => Promise<unknown>) => void;
  /** When /healthz means ready, default: a 200. Some services answer 503 while they catch up. */
  readonly ready?: (status: number) => boolean;
  readonly timeoutMs?: number;
  /** A port to use instead of a free one (a restart on the same port). */
  readonly port?: number;
  /** The service serves HTTPS: /healthz is asked over TLS trusting this CA (and with this client certificate). */
  readonly tls?: TlsClient;
}

/** A port nothing listens on now (the OS picks it; it is released before the service binds it). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });

export const startServiceProcess = async (opts: ServiceProcessOptions): Promise<ServiceProcess> => {
  const port = opts.port ?? (await freePort());
  const child = spawn(process.execPath, ['--import', 'tsx', opts.entry], {
    env: { PATH: process.env['PATH'] ?? '', ...opts.env, [opts.portEnv]: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<string>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? String(code))));
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<string> => {
    if (alive()) child.kill(signal);
    return exited;
  };
  opts.cleanup(stop);
  const url = `${opts.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`;
  const ready = opts.ready ?? ((s: number) => s === 200);
  const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
  const tls = opts.tls;
  const health = (): Promise<number> =>
    tls === undefined
      ? fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.status, () => 0)
      : httpsGet(`${url}/healthz`, tls).then((r) => ('status' in r ? r.status : 0));
  while (Date.now() < deadline && alive()) {
    const status = await health();
    if (status !== 0 && ready(status)) return { name: opts.name, url, port, child, output: () => out, exited, alive, stop };
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop('SIGKILL');
  throw new Error(`${opts.name} did not answer /healthz on ${url} (${alive() ? 'timed out' : `exited ${String(child.exitCode ?? child.signalCode)}`}):\n${out.slice(-3000)}`);
};
