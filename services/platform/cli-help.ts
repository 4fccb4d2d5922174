/**
 * `--help` and `-h` for every command: print the usage to stdout and exit 0 before anything is
 * started (no stack, no ports, no downloads).
 */
export const helpRequested = (argv: readonly string[]): boolean => argv.includes('--help') || argv.includes('-h');

/** Exits 0 with the usage when argv asks for help; returns otherwise. */
export const exitIfHelp = (argv: readonly string[], usage: string): void => {
  if (!helpRequested(argv)) return;
  process.stdout.write(usage.endsWith('\n') ? usage : `${usage}\n`);
  process.exit(0);
};
