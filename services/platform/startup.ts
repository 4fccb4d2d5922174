/**
 * How a service fails to start: one stderr line per configuration problem, each starting with
 * CONFIG_INVALID and the service's name (so an operator, a supervisor or a test can grep them),
 * then a non-zero exit. Services whose configuration comes from two parsers (the platform's and
 * their own) parse both before failing, so every problem is listed at once.
 */
import { describeError, isPlatformError, PlatformError } from './errors.ts';

/** sysexits' EX_CONFIG: the process refused its configuration (any other failure exits 1). */
export const EXIT_CONFIG = 78;

export const startupFailureLines = (service: string, e: unknown): string[] =>
  isPlatformError(e, 'CONFIG_INVALID') && e.problems.length > 0
    ? e.problems.map((p) => `CONFIG_INVALID ${service}: ${p}`)
    : isPlatformError(e, 'CONFIG_INVALID')
      ? [`CONFIG_INVALID ${service}: ${describeError(e)}`]
      : [`${service} failed to start: ${describeError(e)}`];

/** Prints why and exits: the catch of a service's main. */
export const failStartup = (service: string) => (e: unknown): never => {
  process.stderr.write(`${startupFailureLines(service, e).join('\n')}\n`);
  process.exit(isPlatformError(e, 'CONFIG_INVALID') ? EXIT_CONFIG : 1);
};

/**
 * Runs every parser; when any fails with CONFIG_INVALID, throws one CONFIG_INVALID with all their
 * problems (duplicates once: two parsers may both report a shared variable).
 */
export const parseAll = <T extends readonly unknown[]>(...parsers: { readonly [K in keyof T]: () => T[K] }): T => {
  const problems: string[] = [];
  const values = parsers.map((parse) => {
    try {
      return parse();
    } catch (e) {
      if (!isPlatformError(e, 'CONFIG_INVALID')) throw e;
      problems.push(...(e.problems.length > 0 ? e.problems : [e.message]));
      return undefined;
    }
  });
  if (problems.length > 0) {
    const unique = [...new Set(problems)];
    throw new PlatformError('CONFIG_INVALID', `Configuration is invalid:\n  - ${unique.join('\n  - ')}`, { problems: unique });
  }
  return values as unknown as T;
};
