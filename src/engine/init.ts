/**
 * Engine start-up: picks the device and makes it the engine's default. The CPU
 * device is the WebAssembly backend (multi-threaded through the worker shim on
 * Node); WebGPU is the GPU (src/engine/webgpu.ts); `auto` takes WebGPU when an
 * adapter answers and the CPU otherwise. Idempotent: calls without a device
 * reuse the first start (every CLI command, test and library entry point
 * awaits it before computing); a call naming a device switches to it.
 * `PREFOPT_DEVICE` (cpu, webgpu, auto) is the default where none is named.
 */

import { UserError } from "./errors.js";
import { defaultDevice, getWebGPUDevice, init } from "./jax.js";
import { envVar } from "./node-builtins.js";
import { engineThreads } from "./polyfills.js";
import { type BufferLimits, bufferLimits, ensureWebGpu } from "./webgpu.js";

export type DeviceChoice = "cpu" | "webgpu" | "auto";
export const DEVICE_CHOICES: readonly DeviceChoice[] = ["cpu", "webgpu", "auto"];

let started: Promise<EngineInfo> | null = null;
/** Validation and out-of-memory errors the WebGPU device reported outside an error scope. */
const gpuErrors: string[] = [];
let listening: unknown = null;

/**
 * The errors the WebGPU device has reported so far (the engine only logs
 * them: a failed buffer or pipeline makes every later command buffer invalid,
 * and the results read back are then stale, not an exception).
 */
export function webgpuErrors(): readonly string[] {
  return gpuErrors;
}
let startedWith: DeviceChoice | null = null;

export type EngineInfo = {
  device: string;
  devices: string[];
  threads: number;
  /** On WebGPU: the buffer limits the device got, and the adapter's maxima they should equal. */
  gpu?: { limits: BufferLimits; adapterLimits: BufferLimits };
};

export type EngineOptions = {
  /** cpu (WebAssembly, the default), webgpu (an error when no adapter answers) or auto. */
  device?: DeviceChoice;
};

/** Checks a device name from the command line or the environment. */
export function parseDevice(value: string, where = "--device"): DeviceChoice {
  if ((DEVICE_CHOICES as readonly string[]).includes(value)) return value as DeviceChoice;
  throw new UserError(`${where}: expected one of ${DEVICE_CHOICES.join(", ")}, got '${value}'`);
}

async function start(choice: DeviceChoice): Promise<EngineInfo> {
  const cpu = async () => {
    const devices = await init("cpu", "wasm");
    return devices.includes("wasm") ? "wasm" : "cpu";
  };
  let device: string;
  let limits: EngineInfo["gpu"];
  if (choice === "cpu") device = await cpu();
  else {
    const gpu = await ensureWebGpu();
    const ready = gpu.ok && (await init("webgpu")).includes("webgpu");
    if (ready) {
      device = "webgpu";
      const dev = getWebGPUDevice();
      if (listening !== dev) {
        listening = dev;
        dev.addEventListener("uncapturederror", (e) =>
          gpuErrors.push(String((e as unknown as { error: { message: string } }).error.message)),
        );
      }
      const got = bufferLimits(dev.limits as unknown as Record<string, number>);
      limits = { limits: got, adapterLimits: gpu.adapterLimits };
    } else if (choice === "auto") device = await cpu();
    else {
      const tried = gpu.ok ? "the engine could not open a WebGPU device on the adapter" : gpu.tried;
      throw new UserError(`--device webgpu: no WebGPU device; tried ${tried}`);
    }
  }
  defaultDevice(device as Parameters<typeof defaultDevice>[0]);
  const devices = await init();
  return { device, devices, threads: engineThreads(), ...(limits ? { gpu: limits } : {}) };
}

export function initEngine(options: EngineOptions = {}): Promise<EngineInfo> {
  const env = envVar("PREFOPT_DEVICE");
  const choice =
    options.device ?? (started ? null : env ? parseDevice(env, "PREFOPT_DEVICE") : "cpu");
  if (started && (choice === null || choice === startedWith)) return started;
  startedWith = choice ?? "cpu";
  const previous = started;
  started = (async () => {
    await previous?.catch(() => undefined);
    return start(startedWith ?? "cpu");
  })();
  const mine = started;
  // a failed start is not cached: the next call tries again
  mine.catch(() => {
    if (started === mine) {
      started = null;
      startedWith = null;
    }
  });
  return mine;
}
