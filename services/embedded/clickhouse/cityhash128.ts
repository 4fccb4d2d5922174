/**
 * CityHash128 as of CityHash v1.0.2: the checksum of ClickHouse's compressed blocks (ClickHouse
 * keeps this old version in contrib/cityhash102 because later CityHash releases changed the
 * output). Hand-written because no maintained npm package provides v1.0.2's 128-bit variant (the
 * ones there are CityHash64, or the current CityHash, whose results differ). Checked against
 * values from clickhouse-cityhash, the Python binding clickhouse-driver uses, in the unit test.
 *
 * 64-bit arithmetic with BigInt: correct and simple, about tens of MB/s, enough for checksums of
 * 1 MiB blocks. Pure.
 */
const M = (1n << 64n) - 1n;
const k0 = 0xc3a5c85c97cb3127n;
const k1 = 0xb492b66fbe98f273n;
const k2 = 0x9ae16a3b2f90404fn;
const k3 = 0xc949d7c7509e6557n;
const kMul = 0x9ddfea08eb382d69n;

const mul = (a: bigint, b: bigint): bigint => (a * b) & M;
const add = (a: bigint, b: bigint): bigint => (a + b) & M;
const rot = (v: bigint, s: number): bigint => (s === 0 ? v : ((v >> BigInt(s)) | (v << BigInt(64 - s))) & M);
const shiftMix = (v: bigint): bigint => v ^ (v >> 47n);
const hash128to64 = (lo: bigint, hi: bigint): bigint => {
  let a = mul(lo ^ hi, kMul);
  a ^= a >> 47n;
  let b = mul(hi ^ a, kMul);
  b ^= b >> 47n;
  return mul(b, kMul);
};
const hashLen16 = (u: bigint, v: bigint): bigint => hash128to64(u, v);

const f64 = (b: Buffer, o: number): bigint => b.readBigUInt64LE(o);
const f32 = (b: Buffer, o: number): bigint => BigInt(b.readUInt32LE(o));

const hashLen0to16 = (s: Buffer, o: number, len: number): bigint => {
  if (len > 8) {
    const a = f64(s, o);
    const b = f64(s, o + len - 8);
    return hashLen16(a, rot(add(b, BigInt(len)), len)) ^ b;
  }
  if (len >= 4) {
    const a = f32(s, o);
    return hashLen16(add(BigInt(len), a << 3n), f32(s, o + len - 4));
  }
  if (len > 0) {
    const a = BigInt(s[o] as number);
    const b = BigInt(s[o + (len >> 1)] as number);
    const c = BigInt(s[o + len - 1] as number);
    const y = a + (b << 8n);
    const z = BigInt(len) + (c << 2n);
    return mul(shiftMix(mul(y, k2) ^ mul(z, k3)), k2);
  }
  return k2;
};

const weak = (w: bigint, x: bigint, y: bigint, z: bigint, a: bigint, b: bigint): [bigint, bigint] => {
  a = add(a, w);
  b = rot(add(add(b, a), z), 21);
  const c = a;
  a = add(add(a, x), y);
  b = add(b, rot(a, 44));
  return [add(a, z), add(b, c)];
};
const weakAt = (s: Buffer, o: number, a: bigint, b: bigint): [bigint, bigint] => weak(f64(s, o), f64(s, o + 8), f64(s, o + 16), f64(s, o + 24), a, b);

const cityMurmur = (s: Buffer, o: number, len: number, seedLo: bigint, seedHi: bigint): [bigint, bigint] => {
  let a = seedLo;
  let b = seedHi;
  let c: bigint;
  let d: bigint;
  let l = len - 16;
  if (l <= 0) {
    a = mul(shiftMix(mul(a, k1)), k1);
    c = add(mul(b, k1), hashLen0to16(s, o, len));
    d = shiftMix(add(a, len >= 8 ? f64(s, o) : c));
  } else {
    c = hashLen16(add(f64(s, o + len - 8), k1), a);
    d = hashLen16(add(b, BigInt(len)), add(c, f64(s, o + len - 16)));
    a = add(a, d);
    do {
      a ^= mul(shiftMix(mul(f64(s, o), k1)), k1);
      a = mul(a, k1);
      b ^= a;
      c ^= mul(shiftMix(mul(f64(s, o + 8), k1)), k1);
      c = mul(c, k1);
      d ^= c;
      o += 16;
      l -= 16;
    } while (l > 0);
  }
  a = hashLen16(a, c);
  b = hashLen16(d, b);
  return [a ^ b, hashLen16(b, a)];
};

const withSeed = (s: Buffer, o: number, len: number, seedLo: bigint, seedHi: bigint): [bigint, bigint] => {
  if (len < 128) return cityMurmur(s, o, len, seedLo, seedHi);
  let x = seedLo;
  let y = seedHi;
  let z = mul(BigInt(len), k1);
  let v0 = add(mul(rot(y ^ k1, 49), k1), f64(s, o));
  let v1 = add(mul(rot(v0, 42), k1), f64(s, o + 8));
  let w0 = add(mul(rot(add(y, z), 35), k1), x);
  let w1 = mul(rot(add(x, f64(s, o + 88)), 53), k1);
  const round = (): void => {
    x = mul(rot(add(add(add(x, y), v0), f64(s, o + 16)), 37), k1);
    y = mul(rot(add(add(y, v1), f64(s, o + 48)), 42), k1);
    x ^= w1;
    y ^= v0;
    z = rot(z ^ w0, 33);
    [v0, v1] = weakAt(s, o, mul(v1, k1), add(x, w0));
    [w0, w1] = weakAt(s, o + 32, add(z, w1), y);
    [z, x] = [x, z];
    o += 64;
  };
  do {
    round();
    round();
    len -= 128;
  } while (len >= 128);
  y = add(add(y, mul(rot(w0, 37), k0)), z);
  x = add(x, mul(rot(add(v0, z), 49), k0));
  for (let done = 0; done < len; ) {
    done += 32;
    y = add(mul(rot((y - x) & M, 42), k0), v1);
    w0 = add(w0, f64(s, o + len - done + 16));
    x = add(mul(rot(x, 49), k0), w0);
    w0 = add(w0, v0);
    [v0, v1] = weakAt(s, o + len - done, v0, v1);
  }
  x = hashLen16(x, v0);
  y = hashLen16(y, w0);
  return [add(hashLen16(add(x, v1), w1), y), hashLen16(add(x, w1), add(y, v1))];
};

/** CityHash128 v1.0.2 of `s`, as ClickHouse stores it: the pair's first half (Uint128Low64) then its second, each little-endian. */
export const cityHash128 = (s: Buffer): Buffer => {
  const len = s.length;
  let r: [bigint, bigint];
  if (len >= 16) r = withSeed(s, 16, len - 16, f64(s, 0) ^ k3, f64(s, 8));
  else if (len >= 8) r = withSeed(s, 0, 0, f64(s, 0) ^ mul(BigInt(len), k0), f64(s, len - 8) ^ k1);
  else r = withSeed(s, 0, len, k0, k1);
  const out = Buffer.allocUnsafe(16);
  out.writeBigUInt64LE(r[0], 0);
  out.writeBigUInt64LE(r[1], 8);
  return out;
};
