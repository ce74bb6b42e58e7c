/**
 * WebAssembly relaxed SIMD on Node. Chrome ships it on (since 114), but
 * Node 20's V8 keeps it behind `--experimental-wasm-relaxed-simd`.
 * The engine probes for `f32x4.relaxed_madd` when it compiles a kernel and, if
 * present, accumulates its matrix products with fused multiply-add: 1.1–1.5×
 * faster products on x86 with FMA (bench/run.ts, `npm run bench -- dpo`).
 * Fused and unfused accumulation round differently (≤ 1 ulp per
 * multiply-add), so results match the browser's, not an unfused build's,
 * bit for bit. PREFOPT_RELAXED_SIMD=0 leaves the flag off.
 *
 * The flag must be set before the engine compiles its first kernel; the
 * engine caches its probe. Setting a V8 flag at run time is process-wide, so
 * the engine's worker threads see it too.
 */
import { nodeBuiltin } from "./node-builtins.js";

/** Turns relaxed SIMD on unless PREFOPT_RELAXED_SIMD=0. */
export function enableRelaxedSimd(): void {
  if (process.env.PREFOPT_RELAXED_SIMD !== "0" && !hasRelaxedMadd())
    nodeBuiltin("v8").setFlagsFromString("--experimental-wasm-relaxed-simd");
}

/** A module with one function `(v128, v128, v128) → f32x4.relaxed_madd`: validates only where relaxed SIMD is on. */
const RELAXED_MADD_PROBE =
  "0061736d0100000001080160037b7b7b017b030201000a0d010b00200020012002fd85020b";

/** Whether WebAssembly validates `f32x4.relaxed_madd` here and now. */
export function hasRelaxedMadd(): boolean {
  const bytes = new Uint8Array(RELAXED_MADD_PROBE.length / 2);
  for (let i = 0; i < bytes.length; i++)
    bytes[i] = Number.parseInt(RELAXED_MADD_PROBE.slice(2 * i, 2 * i + 2), 16);
  return WebAssembly.validate(bytes);
}
