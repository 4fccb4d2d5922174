/** Renders query results as an aligned text table for a terminal, pure. */
export const formatTable = (columns: readonly string[], rows: ReadonlyArray<readonly unknown[]>, maxCell = 60): string => {
  const show = (v: unknown): string => {
    const s = v === null || v === undefined ? 'NULL' : typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' ? String(v) : JSON.stringify(v);
    return s.length > maxCell ? `${s.slice(0, maxCell - 1)}…` : s;
  };
  const cells = rows.map((r) => columns.map((_, i) => show(r[i])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] ?? '').length)));
  const numeric = columns.map((_, i) => cells.length > 0 && cells.every((r) => /^-?[\d.e+-]+$|^NULL$/.test(r[i] ?? '')));
  const line = (r: readonly string[]): string =>
    r.map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(' | ').trimEnd();
  return [line(columns), widths.map((w) => '-'.repeat(w)).join('-+-'), ...cells.map(line), `(${rows.length} row${rows.length === 1 ? '' : 's'})`].join('\n');
};
