/**
 * WebGPU for the engine. Browsers give `navigator.gpu` themselves; in Node it
 * comes from the optional npm package `webgpu` (Dawn; its Linux, macOS and
 * Windows builds ship inside it), imported only when WebGPU is asked for, so
 * a CPU run never loads it and an install without it still works. The engine
 * also reads `navigator.userAgent` (src/engine/polyfills.ts gives one).
 *
 * On Linux Dawn needs a Vulkan driver (libvulkan.so.1). A machine without a
 * GPU can use SwiftShader, the CPU Vulkan driver Chromium ships, e.g.
 *   LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json
 * (slow, but the same shaders: that is how the WebGPU tests run without a GPU).
 */
import { isNode } from "./node-builtins.js";

type Limits = Record<string, number>;
type Gpu = { requestAdapter(o?: object): Promise<{ limits: Limits } | null> };
type DawnModule = { create(flags: string[]): Gpu; globals: Record<string, unknown> };

/** The name of the optional package; a variable so that bundlers leave the import alone. */
const DAWN_PACKAGE = "webgpu";

/** The buffer limits that decide how large a tensor the GPU can hold and bind. */
export const BUFFER_LIMITS = ["maxBufferSize", "maxStorageBufferBindingSize"] as const;
export type BufferLimits = Record<(typeof BUFFER_LIMITS)[number], number>;

/** Picks the buffer limits out of a GPUSupportedLimits. */
export function bufferLimits(limits: Limits): BufferLimits {
  return Object.fromEntries(BUFFER_LIMITS.map((k) => [k, Number(limits[k])])) as BufferLimits;
}

/**
 * Makes `navigator.gpu` available and says whether an adapter answers. Returns
 * `{ ok: true, adapterLimits }` (the adapter's buffer limits: the engine asks
 * the device for these maxima, not WebGPU's defaults of 256 MiB and 128 MiB)
 * or `{ ok: false, tried }`, `tried` naming what was attempted and why it
 * failed (one line, for the error message).
 */
export async function ensureWebGpu(): Promise<
  { ok: true; adapterLimits: BufferLimits } | { ok: false; tried: string }
> {
  const nav = (globalThis as { navigator?: { gpu?: Gpu } }).navigator;
  let source = "the browser's navigator.gpu";
  if (!nav?.gpu) {
    if (!isNode()) return { ok: false, tried: "navigator.gpu: this browser exposes no WebGPU" };
    source = `navigator.gpu from the npm package '${DAWN_PACKAGE}' (Dawn)`;
    let dawn: DawnModule;
    try {
      dawn = (await import(/* @vite-ignore */ DAWN_PACKAGE)) as DawnModule;
    } catch (err) {
      return {
        ok: false,
        tried: `${source}: cannot load it (${(err as Error).message.split("\n")[0]}); install it with npm install webgpu`,
      };
    }
    Object.assign(globalThis, dawn.globals);
    const gpu = dawn.create([]);
    Object.defineProperty(globalThis.navigator, "gpu", {
      value: gpu,
      configurable: true,
      writable: true,
    });
  }
  const gpu = (globalThis as unknown as { navigator: { gpu: Gpu } }).navigator.gpu;
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) {
    const hint =
      isNode() && process.platform === "linux"
        ? " (Dawn on Linux needs a Vulkan driver: libvulkan.so.1 and an ICD)"
        : "";
    return { ok: false, tried: `${source}: no WebGPU adapter${hint}` };
  }
  return { ok: true, adapterLimits: bufferLimits(adapter.limits) };
}
