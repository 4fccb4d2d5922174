/**
 * Starting something again until it starts: a consumer kafkajs stopped for good is replaced by a
 * new one `everyMs` later, and if that one fails to start (the broker still away) by another
 * `everyMs` after that, for as long as it takes. Used by the topic feed and control's leadership
 * member. `cancel` stops the tries (on the owner's stop).
 */
export interface StartAgain {
  cancel(): void;
}

export const startAgainUntilStarted = (start: () => Promise<void>, opts: {
  readonly everyMs: number;
  /** Told each failed try; the next one follows everyMs later. */
  readonly onFailure: (error: string) => void;
}): StartAgain => {
  let timer: NodeJS.Timeout | undefined;
  let cancelled = false;
  const attempt = (): void => {
    timer = setTimeout(() => {
      if (cancelled) return;
      start().catch((e: unknown) => {
        if (cancelled) return;
        opts.onFailure(e instanceof Error ? e.message : String(e));
        attempt();
      });
    }, opts.everyMs);
  };
  attempt();
  return {
    cancel: () => {
      cancelled = true;
      clearTimeout(timer);
    },
  };
};
