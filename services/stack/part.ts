/** One part of the embedded stack: a process the stack starts, watches and stops. */
import type { PartName } from './layout.ts';

export interface Part {
  readonly name: PartName;
  readonly port: number;
  /** Env variable that moves the port, for "port taken" advice. */
  readonly portVariable: string;
  /** Checks prerequisites and writes config; throws a PlatformError saying how to fix what is missing. */
  prepare(): Promise<void>;
  /** Starts the process detached and returns its pid (the stack writes the pid file). */
  launch(): number;
  /** True when the part answers its protocol (not just an open port). */
  healthy(): Promise<boolean>;
  readonly startTimeoutMs: number;
}
