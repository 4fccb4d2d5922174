import { describe, expect, it } from 'vitest';
import { ByteSink, compileRowEncoder, compileType } from '../../../../services/analytics/ingest/row-binary.ts';

const enc = (type: string, v: Parameters<ReturnType<typeof compileType>>[1]): string => {
  const s = new ByteSink(1);
  compileType(type)(s, v);
  return s.toBuffer().toString('hex');
};

describe('RowBinary encoding', () => {
  it('encodes scalars little-endian and strings with a LEB128 length', () => {
    expect(enc('UInt16', 258)).toBe('0201');
    expect(enc('Int32', -1)).toBe('ffffffff');
    expect(enc('UInt64', 2 ** 40)).toBe('0000000000010000');
    expect(enc('Float64', 1.5)).toBe('000000000000f83f');
    expect(enc("DateTime64(3, 'UTC')", 1000)).toBe('e803000000000000');
    expect(enc('String', 'hé')).toBe('0368c3a9');
    expect(enc('String', 'x'.repeat(200)).slice(0, 4)).toBe('c801');
    expect(enc('String', Buffer.from([0, 255]))).toBe('0200ff');
  });

  it('encodes Nullable, Array and LowCardinality wrappers', () => {
    expect(enc('Nullable(String)', null)).toBe('01');
    expect(enc('Nullable(String)', 'a')).toBe('000161');
    expect(enc('Array(LowCardinality(String))', ['a', 'bc'])).toBe('0201610262 63'.replace(' ', ''));
    expect(enc('LowCardinality(Nullable(String))', null)).toBe('01');
  });

  it('refuses unknown types at compile time and bad values at encode time', () => {
    expect(() => compileType('Decimal(10, 2)')).toThrow(/unsupported type/);
    expect(() => enc('Float64', 'x')).toThrow(/not a valid Float64/);
    expect(() => enc('Float64', Number.NaN)).toThrow(/not a valid/);
    const row = compileRowEncoder([{ name: 'a', type: 'UInt8' }, { name: 'b', type: 'String' }]);
    expect(() => row(new ByteSink(), [1])).toThrow(/expected 2/);
  });

  it('grows its buffer and truncates a half-written row', () => {
    const s = new ByteSink(2);
    for (let i = 0; i < 1000; i++) s.string('abc');
    expect(s.length).toBe(4000);
    s.truncate(10);
    expect(s.toBuffer()).toHaveLength(10);
  });
});
