/**
 * ClickHouse RowBinary encoding of rows, pure. A table's columns are declared with their
 * ClickHouse types once; `compileRowEncoder` turns them into one encoder that appends rows to a
 * growable byte buffer. Only the types the analytics tables use are supported, and a type outside
 * that set fails at compile time (module load), never mid-stream.
 *
 * Contract (RowBinary): integers and floats little-endian; String = LEB128 length + bytes;
 * Nullable(T) = 1 byte (1 = null) then T when not null; Array(T) = LEB128 count + elements;
 * LowCardinality(T) is sent as T; DateTime64(3) = Int64 milliseconds; DateTime = UInt32 seconds.
 */
/** Buffers are raw bytes for String columns (a dead letter's payload). */
export type Cell = string | number | boolean | null | Buffer | readonly Cell[];

export interface Column {
  readonly name: string;
  readonly type: string;
}

/** An append-only byte buffer that doubles when full. */
export class ByteSink {
  private buf: Buffer;
  private len = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  get length(): number {
    return this.len;
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.len++] = v;
  }

  leb128(v: number): void {
    let n = v;
    while (n >= 0x80) {
      this.u8((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    this.u8(n);
  }

  fixed(bytes: number, write: (b: Buffer, at: number) => void): void {
    this.ensure(bytes);
    write(this.buf, this.len);
    this.len += bytes;
  }

  bytes(b: Buffer): void {
    this.leb128(b.length);
    this.ensure(b.length);
    b.copy(this.buf, this.len);
    this.len += b.length;
  }

  string(s: string): void {
    const bytes = Buffer.byteLength(s, 'utf8');
    this.leb128(bytes);
    this.ensure(bytes);
    this.len += this.buf.write(s, this.len, 'utf8');
  }

  /** The bytes written so far (a copy, so the sink can be reused). */
  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }

  /** Drops everything after the first n bytes (undoes a half-written row). */
  truncate(n: number): void {
    this.len = Math.min(this.len, Math.max(0, n));
  }

  reset(): void {
    this.len = 0;
  }
}

type Write = (sink: ByteSink, value: Cell) => void;

const fail = (type: string, value: Cell): never => {
  throw new TypeError(`RowBinary: ${JSON.stringify(value)} is not a valid ${type}`);
};

const num = (type: string, v: Cell): number => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'boolean' ? Number(v) : fail(type, v));

const scalar = (type: string): Write | undefined => {
  switch (type) {
    case 'String':
      return (s, v) => (typeof v === 'string' ? s.string(v) : Buffer.isBuffer(v) ? s.bytes(v) : fail(type, v));
    case 'UInt8':
    case 'Bool':
      return (s, v) => s.u8(num(type, v));
    case 'UInt16':
      return (s, v) => s.fixed(2, (b, at) => b.writeUInt16LE(num(type, v), at));
    case 'UInt32':
      return (s, v) => s.fixed(4, (b, at) => b.writeUInt32LE(num(type, v), at));
    case 'Int32':
      return (s, v) => s.fixed(4, (b, at) => b.writeInt32LE(num(type, v), at));
    case 'UInt64':
      return (s, v) => s.fixed(8, (b, at) => b.writeBigUInt64LE(BigInt(Math.trunc(num(type, v))), at));
    case 'Int64':
      return (s, v) => s.fixed(8, (b, at) => b.writeBigInt64LE(BigInt(Math.trunc(num(type, v))), at));
    case 'Float32':
      return (s, v) => s.fixed(4, (b, at) => b.writeFloatLE(num(type, v), at));
    case 'Float64':
      return (s, v) => s.fixed(8, (b, at) => b.writeDoubleLE(num(type, v), at));
    case 'DateTime':
      return (s, v) => s.fixed(4, (b, at) => b.writeUInt32LE(Math.floor(num(type, v) / 1000), at));
    default:
      if (/^DateTime64\(3(, *'[^']+')?\)$/.test(type)) return (s, v) => s.fixed(8, (b, at) => b.writeBigInt64LE(BigInt(Math.trunc(num(type, v))), at));
      return undefined;
  }
};

const inner = (type: string, wrapper: string): string | undefined => {
  const prefix = `${wrapper}(`;
  return type.startsWith(prefix) && type.endsWith(')') ? type.slice(prefix.length, -1) : undefined;
};

/** The writer of one ClickHouse type; throws for a type it does not know. */
export const compileType = (type: string): Write => {
  const t = type.trim();
  const lc = inner(t, 'LowCardinality');
  if (lc !== undefined) return compileType(lc);
  const nullable = inner(t, 'Nullable');
  if (nullable !== undefined) {
    const w = compileType(nullable);
    return (s, v) => {
      if (v === null) s.u8(1);
      else {
        s.u8(0);
        w(s, v);
      }
    };
  }
  const array = inner(t, 'Array');
  if (array !== undefined) {
    const w = compileType(array);
    return (s, v) => {
      if (!Array.isArray(v)) return fail(t, v);
      const items = v as readonly Cell[];
      s.leb128(items.length);
      for (const item of items) w(s, item);
    };
  }
  const w = scalar(t);
  if (w === undefined) throw new TypeError(`RowBinary: unsupported type ${t}`);
  return w;
};

export type RowEncoder = (sink: ByteSink, row: readonly Cell[]) => void;

/** One encoder for rows of the given columns, in order. */
export const compileRowEncoder = (columns: readonly Column[]): RowEncoder => {
  const writers = columns.map((c) => compileType(c.type));
  return (sink, row) => {
    if (row.length !== writers.length) throw new TypeError(`RowBinary: row has ${row.length} cells, expected ${writers.length}`);
    for (let i = 0; i < writers.length; i++) (writers[i] as Write)(sink, row[i] as Cell);
  };
};
