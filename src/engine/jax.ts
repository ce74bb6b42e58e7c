/**
 * The one door to the engine, @jax-js/jax 0.1.25 with prefopt's kernel patch,
 * vendored in vendor/jax-js (scripts/vendor-engine.mjs builds it from the
 * published package and patches/@jax-js+jax+0.1.25.patch), so the checkout and
 * every installed copy of prefopt run the same kernels with no install script.
 * Importing the engine through this module guarantees the Node polyfills and
 * worker shim are in place first.
 */
import "./setup.js";

export * from "../../vendor/jax-js/index.js";
