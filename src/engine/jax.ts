/**
 * The one door to @jax-js/jax: importing the engine through this module
 * guarantees the Node polyfills and worker shim are in place first.
 */
import "./setup.js";

export * from "@jax-js/jax";
