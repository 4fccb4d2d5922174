/**
 * A CSV file as a table, pure: separator (comma, semicolon, tab), quoted fields, and the
 * metadata some exports put before the header, read rather than skipped:
 *
 * - Open-Meteo: a `latitude,longitude,elevation,utc_offset_seconds,...` line and its values, a blank
 *   line, then the data header (`time,temperature_2m (°C),...`);
 * - TMY3 (NREL typical meteorological year): a first line `USAF,"Name",State,TZ,lat,lon,elev`, then
 *   the header `Date (MM/DD/YYYY),Time (HH:MM),ETR (W/m^2),...,GHI (W/m^2),...`.
 *
 * Lines starting with `#` are comments.
 */
export interface CsvMeta {
  readonly format: 'plain' | 'open-meteo' | 'tmy3';
  readonly latitudeDeg?: number;
  readonly longitudeDeg?: number;
  /** Hours to add to UTC to get the file's clock (TMY3: local standard time; Open-Meteo: utc_offset_seconds). */
  readonly utcOffsetH: number;
}

export interface CsvTable {
  readonly header: string[];
  readonly rows: string[][];
  /** 1-based line number of rows[0] in the file. */
  readonly firstLine: number;
  readonly meta: CsvMeta;
}

export const splitLine = (line: string, sep: string): string[] => {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] ?? '';
    if (c === '"') {
      if (quoted && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else quoted = !quoted;
    } else if (c === sep && !quoted) {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  out.push(cur.trim());
  return out;
};

const sepOf = (line: string): string => [',', ';', '\t'].map((s) => [s, line.split(s).length] as const).sort((a, b) => b[1] - a[1])[0]?.[0] ?? ',';
const numOr = (s: string | undefined): number | undefined => (s !== undefined && s.trim() !== '' && Number.isFinite(Number(s)) ? Number(s) : undefined);

/** `name` is the header line's test: the first line that names a time column. */
export const readTable = (text: string, isHeader: (cells: string[]) => boolean): CsvTable | null => {
  const lines = text.split(/\r?\n/).map((l, i) => ({ l, n: i + 1 })).filter((x) => x.l.trim() !== '' && !x.l.startsWith('#'));
  const first = lines[0];
  if (first === undefined) return null;
  let meta: CsvMeta = { format: 'plain', utcOffsetH: 0 };
  const firstCells = splitLine(first.l, sepOf(first.l));
  const second = lines[1];
  if (second !== undefined && /^date \(mm\/dd\/yyyy\)$/i.test(splitLine(second.l, ',')[0] ?? '') && firstCells.length >= 7) {
    const lat = numOr(firstCells[4]);
    const lon = numOr(firstCells[5]);
    meta = { format: 'tmy3', ...(lat === undefined ? {} : { latitudeDeg: lat }), ...(lon === undefined ? {} : { longitudeDeg: lon }), utcOffsetH: numOr(firstCells[3]) ?? 0 };
  } else if (/^latitude$/i.test(firstCells[0] ?? '') && second !== undefined) {
    const values = splitLine(second.l, sepOf(first.l));
    const at = (name: string): number | undefined => numOr(values[firstCells.findIndex((c) => c.toLowerCase() === name)]);
    const lat = at('latitude');
    const lon = at('longitude');
    meta = { format: 'open-meteo', ...(lat === undefined ? {} : { latitudeDeg: lat }), ...(lon === undefined ? {} : { longitudeDeg: lon }), utcOffsetH: (at('utc_offset_seconds') ?? 0) / 3600 };
  }
  const h = lines.findIndex((x) => isHeader(splitLine(x.l, sepOf(x.l))));
  const headerLine = lines[Math.max(0, h)];
  if (headerLine === undefined) return null;
  const sep = sepOf(headerLine.l);
  const body = lines.slice(Math.max(0, h) + 1);
  return { header: splitLine(headerLine.l, sep), rows: body.map((x) => splitLine(x.l, sep)), firstLine: body[0]?.n ?? headerLine.n + 1, meta };
};
