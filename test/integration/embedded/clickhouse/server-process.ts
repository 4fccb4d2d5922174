/**
 * Starts the embedded ClickHouse server as a child process on a free port with a fresh state
 * directory, so each test file is self-contained. `node --import tsx` keeps the child's pid the
 * server's own, which the memory test reads from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { ENGINE_THREAD_ENV } from '../../../../services/embedded/clickhouse/threadpool.ts';

export interface ServerHandle {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly stateDir: string;
  /** stderr so far, for diagnosing a failed start. */
  readonly logs: () => string;
  stop(): Promise<number | null>;
}

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });

/** Test users: the shipped roles with limits small enough to hit quickly, plus any `extra` users. */
export const writeTestUsers = (dir: string, extra: Readonly<Record<string, unknown>> = {}): string => {
  const file = join(dir, 'users.json');
  writeFileSync(
    file,
    JSON.stringify({
      users: {
        default: {},
        ingest: { password: 'ingest-pw' },
        analyst: {
          password: 'analyst-pw',
          readonly: 1,
          settings: { max_execution_time: 1, max_memory_usage: 2_000_000_000, max_result_rows: 100_000, result_overflow_mode: 'throw', max_concurrent_queries_for_user: 2 },
        },
        ...extra,
      },
    }),
  );
  return file;
};

/** Temporary state folders this test file made; removed after its tests so /tmp does not fill up. */
const madeDirs = new Set<string>();
afterAll(() => {
  for (const dir of madeDirs) rmSync(dir, { recursive: true, force: true });
  madeDirs.clear();
});

const tempStateDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'gridfleet-ch-'));
  madeDirs.add(dir);
  return dir;
};

export const startServer = async (opts: { stateDir?: string; port?: number; users?: Readonly<Record<string, unknown>> } = {}): Promise<ServerHandle> => {
  const stateDir = opts.stateDir ?? tempStateDir();
  const port = opts.port ?? (await freePort());
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'services/embedded/clickhouse/main.ts'], {
    cwd: process.cwd(),
    env: { ...process.env, ...ENGINE_THREAD_ENV, CLICKHOUSE_PORT: String(port), GRIDFLEET_STATE_DIR: stateDir, CLICKHOUSE_USERS_FILE: writeTestUsers(stateDir, opts.users), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`clickhouse server exited early (${child.exitCode}): ${stderr}`);
    try {
      const r = await fetch(`${url}/ping`);
      if ((await r.text()) === 'Ok.\n') break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`clickhouse server did not answer /ping: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    pid: child.pid ?? -1,
    stateDir,
    logs: () => stderr,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
};

/** Resident set size of a process in bytes, from /proc/<pid>/status. */
export const rssBytes = async (pid: number): Promise<number> => {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m?.[1] ? Number(m[1]) * 1024 : 0;
};
