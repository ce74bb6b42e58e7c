/**
 * V8 compiles a new WebAssembly function with its baseline compiler and
 * re-compiles it optimised once it is hot, on background threads. Every
 * engine kernel is new code, so a training run's first steps run unoptimised
 * kernels while the optimising compiler competes with the engine's workers
 * for the cores (DPO step at 2 threads: 3.2 s for the second step, 1.7 s with
 * eager optimisation). `--no-wasm-dynamic-tiering` compiles optimised code
 * straight away. PREFOPT_WASM_TIERING=1 keeps V8's default. Like
 * src/engine/relaxed-simd.ts, it must run before the engine compiles a
 * kernel and holds for the worker threads too.
 */
import { nodeBuiltin } from "./node-builtins.js";

export function compileWasmOptimised(): void {
  if (process.env.PREFOPT_WASM_TIERING !== "1")
    nodeBuiltin("v8").setFlagsFromString("--no-wasm-dynamic-tiering");
}
