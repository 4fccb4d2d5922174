/** One part of the embedded stack: a process the stack starts, watches and stops. */
import type { ProcessName } from './layout.ts';

/** A further port a part listens on, with the env variable that moves it. */
export interface PartPort {
  readonly port: number;
  readonly variable: string;
  /** What listens there, for the "port taken" message, e.g. "KRaft controller listener". */
  readonly role: string;
}

export interface Part {
  /** A part, or one node of a Kafka cluster: it names the pid file, log and data folder. */
  readonly name: ProcessName;
  readonly port: number;
  /** Env variable that moves the port, for "port taken" advice. */
  readonly portVariable: string;
  /** Ports besides `port` the part needs free before it starts (Kafka's controller listener). */
  readonly extraPorts?: readonly PartPort[];
  /** Checks prerequisites and writes config; throws a PlatformError saying how to fix what is missing. */
  prepare(): Promise<void>;
  /** Starts the process detached and returns its pid (the stack writes the pid file). */
  launch(): number;
  /** True when the part answers its protocol (not just an open port). */
  healthy(): Promise<boolean>;
  readonly startTimeoutMs: number;
}
