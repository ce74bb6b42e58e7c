/**
 * Side-effect module: installs Node polyfills, turns on WebAssembly relaxed
 * SIMD (src/engine/relaxed-simd.ts) and eager optimised compilation
 * (src/engine/wasm-tiering.ts), and installs the worker shim before the engine
 * loads. With PREFOPT_INLINE=1 and one engine thread there is no
 * worker pool: kernels run on the calling thread, which saves a message round
 * trip to a worker per kernel (~5-15% of a DPO step on a loaded 2-core
 * machine; bench/run.ts uses it for its one-thread settings).
 */
import { isNode } from "./node-builtins.js";
import { engineThreads, installPolyfills } from "./polyfills.js";
import { enableRelaxedSimd } from "./relaxed-simd.js";
import { compileWasmOptimised } from "./wasm-tiering.js";
import { installWorkerShim } from "./worker-shim.js";

if (isNode()) {
  installPolyfills();
  enableRelaxedSimd();
  compileWasmOptimised();
  if (engineThreads() > 1 || process.env.PREFOPT_INLINE !== "1") installWorkerShim();
}
