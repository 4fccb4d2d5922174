/**
 * Backpressure over device sockets: while the telemetry sink has too many frames waiting for
 * Kafka, the gateway stops reading from every push-mode socket (TCP then pushes back on the
 * devices). A socket that connects during the pause is paused as it is admitted; otherwise a
 * reconnect storm, which is when Kafka tends to be slow, would read past the limit.
 */
export interface Pausable {
  pause(): void;
  resume(): void;
}

export interface ReadGate<T extends Pausable> {
  paused(): boolean;
  /** Pauses or resumes every current member; does nothing when the state does not change. */
  set(paused: boolean): void;
  /** Call for each new member: pauses it when the gate is paused. */
  admit(member: T): void;
}

/** members: the current sockets (read each time, so the gate keeps no second copy of them). */
export const createReadGate = <T extends Pausable>(members: () => Iterable<T>): ReadGate<T> => {
  let paused = false;
  return {
    paused: () => paused,
    set(next) {
      if (next === paused) return;
      paused = next;
      for (const m of members()) {
        if (paused) m.pause();
        else m.resume();
      }
    },
    admit(member) {
      if (paused) member.pause();
    },
  };
};
