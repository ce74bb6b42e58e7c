/** Side-effect module: installs Node polyfills and the worker shim before the engine loads. */
import { installPolyfills } from "./polyfills.js";
import { installWorkerShim } from "./worker-shim.js";

if (typeof process !== "undefined" && process.versions?.node) {
  installPolyfills();
  installWorkerShim();
}
