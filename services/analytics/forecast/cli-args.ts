/** `--key value`, `--key=value` and `--flag` after a command word, pure. */
export const parseArgs = (argv: readonly string[]): { command: string | undefined; flags: Map<string, string> } => {
  const flags = new Map<string, string>();
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (!a.startsWith('--')) continue;
    const [k, v] = a.slice(2).split('=', 2) as [string, string | undefined];
    const next = argv[i + 1];
    if (v !== undefined) flags.set(k, v);
    else if (next !== undefined && !next.startsWith('--')) {
      flags.set(k, next);
      i++;
    } else flags.set(k, 'true');
  }
  return { command: argv[0], flags };
};

