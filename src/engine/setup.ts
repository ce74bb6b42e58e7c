/**
 * Side-effect module: installs Node polyfills and the worker shim before the
 * engine loads. With one engine thread (PREFOPT_THREADS=1 or a one-core
 * machine) there is no worker pool: kernels run on the calling thread, which
 * saves a message round trip to a worker per kernel (~5-15% of a DPO step
 * on a loaded 2-core machine, bench/run.ts).
 */
import { engineThreads, installPolyfills } from "./polyfills.js";
import { installWorkerShim } from "./worker-shim.js";

if (typeof process !== "undefined" && process.versions?.node) {
  installPolyfills();
  if (engineThreads() > 1) installWorkerShim();
}
