/**
 * Half-precision bit conversions on the host. IEEE binary16 (F16: 1 sign, 5
 * exponent, 10 mantissa bits, bias 15) and bfloat16 (BF16: the top 16 bits of
 * a float32). Decoding is exact (every half value is a float32); encoding
 * rounds to nearest, ties to even, and keeps inf/nan.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 value of F16 bits: (−1)^s·2^(e−15)·(1+m/1024), subnormals (−1)^s·m·2^−24, e=31 inf/nan. */
export function f16BitsToF32(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) {
    const v = mant * 2 ** -24; // exact in float32
    return sign ? -v : v;
  }
  if (exp === 0x1f) u32[0] = sign | 0x7f800000 | (mant << 13);
  else u32[0] = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  return f32[0];
}

/** float32 value of BF16 bits: the bits shifted into the top half of a float32. */
export function bf16BitsToF32(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0];
}

/** F16 bits of a number (first rounded to float32), round to nearest even; overflow → ±inf. */
export function f32ToF16Bits(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // rounds to ±0
    mant |= 0x800000; // implicit leading one
    const shift = 14 - e; // 14..24
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let m = mant >>> shift;
    if (rest > half || (rest === half && m & 1)) m++;
    return sign | m; // m may carry into the smallest normal, which is the right encoding
  }
  const rest = mant & 0x1fff;
  let out = (e << 10) | (mant >>> 13);
  if (rest > 0x1000 || (rest === 0x1000 && out & 1)) out++; // may carry into exponent/inf: correct
  return sign | out;
}

/** BF16 bits of a number (first rounded to float32), round to nearest even; nan stays nan. */
export function f32ToBf16Bits(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  if ((bits & 0x7f800000) === 0x7f800000 && bits & 0x7fffff) return ((bits >>> 16) | 0x40) & 0xffff;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Decodes a whole array of F16 or BF16 bits to float32. */
export function decodeHalf(bits: Uint16Array, kind: "F16" | "BF16"): Float32Array {
  const out = new Float32Array(bits.length);
  const f = kind === "F16" ? f16BitsToF32 : bf16BitsToF32;
  for (let i = 0; i < bits.length; i++) out[i] = f(bits[i]);
  return out;
}

/** Encodes numbers as F16 or BF16 bits (round to nearest even). */
export function encodeHalf(values: ArrayLike<number>, kind: "F16" | "BF16"): Uint16Array {
  const out = new Uint16Array(values.length);
  const f = kind === "F16" ? f32ToF16Bits : f32ToBf16Bits;
  for (let i = 0; i < values.length; i++) out[i] = f(values[i]);
  return out;
}
