/**
 * safetensors files written without holding every tensor on the host: the
 * header first (names, dtypes and shapes are known without reading any
 * data), then each tensor fetched, written and dropped in sorted name order.
 * Host memory stays at one tensor instead of the whole tree plus its encoded
 * file (GPT-2 small's AdamW state: 0.93 GB twice). The bytes are those of
 * `writeSafetensors`/`saveParams`, and the write is as atomic: a temporary
 * file beside `path`, fsync'ed and renamed over it.
 */
import { openAtomic } from "./atomic.js";
import type { numpy as np } from "./jax.js";
import { flattenNamed } from "./pytree.js";
import {
  dtypeBytes,
  type HostTensor,
  LITTLE_ENDIAN,
  type SafetensorsDType,
  safetensorsHeader,
  shapeSize,
  swapBytes,
  toHost,
} from "./safetensors.js";

/** The safetensors dtype `toHost` gives each engine dtype. */
const STORED: Record<string, SafetensorsDType> = {
  float32: "F32",
  float64: "F64",
  int32: "I32",
  uint32: "U32",
  bool: "BOOL",
  float16: "F16",
};

/** One tensor of a streamed file: what the header needs, and how to fetch its data when its turn comes. */
export type StreamedTensor = {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  /** the data, little- or host-endian as `encodeSafetensors` takes it; called once, in file order */
  read: () => Promise<HostTensor["data"]>;
};

/**
 * Writes a safetensors file from tensors fetched one at a time (laid out in
 * sorted name order, as `encodeSafetensors` does), atomically: a temporary
 * file beside `path`, fsync'ed, renamed over it. The same bytes as
 * `writeSafetensors` with the same tensors and metadata.
 */
export async function writeSafetensorsStreaming(
  path: string,
  tensors: StreamedTensor[],
  metadata?: Record<string, string>,
): Promise<void> {
  // sorted by name as `encodeSafetensors` lays them out (Object.keys(…).sort())
  const byName = new Map(tensors.map((t) => [t.name, t]));
  if (byName.size !== tensors.length)
    throw new Error("writeSafetensorsStreaming: duplicate tensor names");
  const sorted = [...byName.keys()].sort().map((name) => byName.get(name) as StreamedTensor);
  const entries = sorted.map((t) => ({
    ...t,
    byteLength: shapeSize(t.shape) * dtypeBytes(t.dtype),
  }));
  const header = safetensorsHeader(entries, metadata);
  const file = openAtomic(path);
  try {
    file.write(header);
    for (const e of entries) {
      const d = await e.read();
      if (d.byteLength !== e.byteLength)
        throw new Error(
          `writeSafetensorsStreaming: tensor "${e.name}" has ${d.byteLength} bytes, its header says ${e.byteLength}`,
        );
      const bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
      if (!LITTLE_ENDIAN) swapBytes(bytes, d.BYTES_PER_ELEMENT);
      file.write(bytes);
    }
  } catch (err) {
    file.abort();
    throw err;
  }
  file.commit();
}

/**
 * Saves a params pytree under its dotted names with metadata
 * {format: "pt", ...metadata}, one tensor at a time (see the module doc).
 * Does not consume `params`.
 */
export async function saveParamsStreaming(
  path: string,
  params: unknown,
  metadata?: Record<string, string>,
): Promise<void> {
  const named = flattenNamed(params);
  const tensors = Object.entries(named).map(([name, a]: [string, np.Array]): StreamedTensor => {
    const dtype = STORED[a.dtype];
    if (!dtype) throw new Error(`saveParamsStreaming: unsupported engine dtype ${a.dtype}`);
    return { name, dtype, shape: a.shape.slice(), read: async () => (await toHost(a.ref)).data };
  });
  await writeSafetensorsStreaming(path, tensors, { format: "pt", ...metadata });
}
