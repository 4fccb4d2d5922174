/**
 * Named pipes the engine reads streamed insert bodies from (`INSERT ... FROM INFILE <pipe>`).
 * chDB runs in this process but takes input only by path, and Node cannot create a FIFO itself,
 * so pipes are made with `mkfifo` a few at a time and reused: a pipe is leased to one insert and
 * returned once the engine's query settled and the write end closed.
 *
 * The write end is opened O_WRONLY | O_NONBLOCK, retried until the engine has opened the read end
 * (ENXIO before that): writing before a reader exists would let a small body sit in a pipe nobody
 * holds, and closing it then would drop the bytes and leave the engine's open waiting forever.
 * An insert the engine rejects before opening the file just stops the retries (`gone`). Writes
 * go through a net.Socket on the fd (a libuv pipe): no pool thread per write, and backpressure
 * when the engine reads slower than the body arrives.
 */
import { execFile } from 'node:child_process';
import { constants, open } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';

const run = promisify(execFile);
const openFd = promisify(open);
/** Pipes made per mkfifo call: one process start covers a burst of concurrent inserts. */
const BATCH = 4;

export interface InsertPipe {
  readonly path: string;
  /** The write end once the engine reads the pipe, or undefined when `gone()` turned true first. */
  open(gone: () => boolean): Promise<Socket | undefined>;
  release(): void;
}

export interface InsertPipes {
  lease(): Promise<InsertPipe>;
}

/**
 * `maxLeased`: pipes out at once; a lease beyond it waits for a release (see threadpool.ts: each
 * leased pipe may hold one of the engine's threads while its body arrives).
 */
export const insertPipes = (dir: string, maxLeased = Number.POSITIVE_INFINITY): InsertPipes => {
  const idle: string[] = [];
  const waiting: Array<() => void> = [];
  let leased = 0;
  let making: Promise<void> | undefined;
  const make = async (): Promise<void> => {
    const paths = Array.from({ length: BATCH }, () => join(dir, `${randomUUID()}.pipe`));
    await run('mkfifo', ['-m', '600', ...paths]);
    idle.push(...paths);
  };
  const lease = async (): Promise<InsertPipe> => {
    while (leased >= maxLeased) await new Promise<void>((resolve) => waiting.push(resolve));
    leased++;
    try {
      while (idle.length === 0) {
        making ??= make().finally(() => {
          making = undefined;
        });
        await making;
      }
    } catch (e) {
      leased--;
      waiting.shift()?.();
      throw e;
    }
    const path = idle.pop() as string;
    let released = false;
    return {
      path,
      open: async (gone) => {
        for (let waitMs = 0; !gone(); waitMs = Math.min(20, waitMs + 1)) {
          const fd = await openFd(path, constants.O_WRONLY | constants.O_NONBLOCK).catch((e: NodeJS.ErrnoException) => {
            if (e.code === 'ENXIO') return undefined;
            throw e;
          });
          if (fd !== undefined) return new Socket({ fd, readable: false, writable: true });
          await sleep(waitMs);
        }
        return undefined;
      },
      release: () => {
        if (released) return;
        released = true;
        idle.push(path);
        leased--;
        waiting.shift()?.();
      },
    };
  };
  return { lease };
};
