/**
 * Engine start-up: starts the WebAssembly backend (multi-threaded through the
 * worker shim on Node) and makes it the default device. Idempotent; every
 * CLI command, test and library entry point awaits it before computing.
 */
import { defaultDevice, init } from "./jax.js";
import { engineThreads } from "./polyfills.js";

let started: Promise<EngineInfo> | null = null;

export type EngineInfo = { device: string; devices: string[]; threads: number };

export function initEngine(): Promise<EngineInfo> {
  started ??= (async () => {
    const devices = await init();
    const device = devices.includes("wasm") ? "wasm" : "cpu";
    defaultDevice(device);
    return { device, devices, threads: engineThreads() };
  })();
  return started;
}
