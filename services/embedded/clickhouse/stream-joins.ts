/**
 * How the chunks of a streamed SELECT join into one result. chDB's stream hands out each block as
 * a complete output of the format: a format with a header (RowBinaryWithNamesAndTypes,
 * CSVWithNames, ...) repeats it in every chunk, and one with a prefix and suffix (JSON, XML,
 * Parquet, Arrow, Pretty, ...) wraps every chunk. Row formats concatenate as they are; header
 * formats have the header dropped from every chunk after the first; the rest are not streamed
 * (the caller runs them whole). Pure.
 */

export type StreamJoin =
  | { readonly kind: 'concat' }
  | { readonly kind: 'header'; readonly headerLength: (first: Buffer) => number | undefined };

const concatFormats = new Set([
  'TabSeparated', 'TSV', 'TabSeparatedRaw', 'TSVRaw', 'Raw', 'CSV', 'JSONEachRow', 'JSONLines', 'NDJSON',
  'JSONCompactEachRow', 'JSONStringsEachRow', 'JSONCompactStringsEachRow', 'RowBinary', 'Native', 'LineAsString',
]);

/** Byte length of the first `lines` lines. */
const lineHeader = (lines: number) => (first: Buffer): number | undefined => {
  let at = 0;
  for (let i = 0; i < lines; i++) {
    const nl = first.indexOf(0x0a, at);
    if (nl < 0) return undefined;
    at = nl + 1;
  }
  return at;
};

const varint = (b: Buffer, at: number): [number, number] | undefined => {
  let v = 0;
  let shift = 0;
  for (let i = at; i < b.length && shift < 35; i++) {
    const byte = b[i] as number;
    v += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [v, i + 1];
    shift += 7;
  }
  return undefined;
};

/** RowBinaryWithNames[AndTypes]: a column count, then `perColumn` strings per column. */
const binaryHeader = (perColumn: number) => (first: Buffer): number | undefined => {
  const n = varint(first, 0);
  if (!n) return undefined;
  let at = n[1];
  for (let i = 0; i < n[0] * perColumn; i++) {
    const len = varint(first, at);
    if (!len) return undefined;
    at = len[1] + len[0];
    if (at > first.length) return undefined;
  }
  return at;
};

export const streamJoin = (format: string): StreamJoin | undefined => {
  if (concatFormats.has(format)) return { kind: 'concat' };
  if (format === 'RowBinaryWithNames') return { kind: 'header', headerLength: binaryHeader(1) };
  if (format === 'RowBinaryWithNamesAndTypes') return { kind: 'header', headerLength: binaryHeader(2) };
  const m = /^(TabSeparated|TSV|TabSeparatedRaw|TSVRaw|CSV|JSONCompactEachRow|JSONCompactStringsEachRow)With(Names|NamesAndTypes)$/.exec(format);
  if (m) return { kind: 'header', headerLength: lineHeader(m[2] === 'Names' ? 1 : 2) };
  return undefined;
};

/** Drops the repeated header from chunks after the first. */
export const chunkJoiner = (join: StreamJoin): ((chunk: Buffer) => Buffer) => {
  if (join.kind === 'concat') return (c) => c;
  let header: Buffer | undefined;
  return (c) => {
    if (header === undefined) {
      const len = join.headerLength(c);
      header = len === undefined ? Buffer.alloc(0) : Buffer.from(c.subarray(0, len));
      return c;
    }
    return header.length > 0 && c.length >= header.length && c.subarray(0, header.length).equals(header) ? c.subarray(header.length) : c;
  };
};
