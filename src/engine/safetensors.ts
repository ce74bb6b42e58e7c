/**
 * safetensors, read and written by prefopt's own code
 * (https://github.com/huggingface/safetensors#format): an 8-byte
 * little-endian u64 N, an N-byte JSON header
 * {"__metadata__": {str: str}, name: {dtype, shape, data_offsets: [begin, end]}},
 * then the byte buffer; offsets are relative to the buffer, which the tensors
 * must cover exactly (no holes, no overlaps). The writer pads the header with
 * spaces to a multiple of 8 bytes and lays tensors out in sorted name order.
 *
 * Host representation (`HostTensor`): one typed array per dtype, copied out of
 * the file (never a view into it). F16/BF16 are decoded to float32 and
 * reported as "F32" on read (`keepHalf` keeps the raw 16-bit patterns in a
 * Uint16Array instead, for bit-exact copies). I64/U64 stay BigInt64Array /
 * BigUint64Array on the host, losslessly; `fromHost` converts them to int32
 * and throws if a value does not fit.
 */
import { writeFileAtomic } from "./atomic.js";
import { UserError } from "./errors.js";
import { assertFinite } from "./finite.js";
import { decodeHalf, encodeHalf } from "./half.js";
import { numpy as np, tree } from "./jax.js";
import { nodeBuiltin } from "./node-builtins.js";
import { flattenNamed } from "./pytree.js";

export type SafetensorsDType =
  | "F64"
  | "F32"
  | "F16"
  | "BF16"
  | "I64"
  | "I32"
  | "I16"
  | "I8"
  | "U64"
  | "U32"
  | "U16"
  | "U8"
  | "BOOL";

export type HostData =
  | Float64Array
  | Float32Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array
  | BigInt64Array
  | BigUint64Array;

/**
 * A tensor in host memory. `data` is row-major and its typed array matches
 * `dtype`: F64 Float64Array, F32 Float32Array, F16/BF16 Uint16Array (raw bits),
 * I64 BigInt64Array, I32 Int32Array, I16 Int16Array, I8 Int8Array,
 * U64 BigUint64Array, U32 Uint32Array, U16 Uint16Array, U8 Uint8Array,
 * BOOL Uint8Array (0 or 1).
 */
export type HostTensor = { dtype: SafetensorsDType; shape: number[]; data: HostData };

export type SafetensorsFile = {
  tensors: Record<string, HostTensor>;
  metadata: Record<string, string>;
};

type Ctor = {
  new (buf: ArrayBuffer, off: number, len: number): HostData;
  BYTES_PER_ELEMENT: number;
};

const DTYPES: Record<SafetensorsDType, { bytes: number; ctor: Ctor }> = {
  F64: { bytes: 8, ctor: Float64Array },
  F32: { bytes: 4, ctor: Float32Array },
  F16: { bytes: 2, ctor: Uint16Array },
  BF16: { bytes: 2, ctor: Uint16Array },
  I64: { bytes: 8, ctor: BigInt64Array },
  I32: { bytes: 4, ctor: Int32Array },
  I16: { bytes: 2, ctor: Int16Array },
  I8: { bytes: 1, ctor: Int8Array },
  U64: { bytes: 8, ctor: BigUint64Array },
  U32: { bytes: 4, ctor: Uint32Array },
  U16: { bytes: 2, ctor: Uint16Array },
  U8: { bytes: 1, ctor: Uint8Array },
  BOOL: { bytes: 1, ctor: Uint8Array },
};

/** Bytes per element of a safetensors dtype. */
export function dtypeBytes(d: SafetensorsDType): number {
  return DTYPES[d].bytes;
}

/** The largest header the format allows (the reference implementation's limit). */
const MAX_HEADER = 100_000_000;
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function isDType(s: unknown): s is SafetensorsDType {
  return typeof s === "string" && Object.hasOwn(DTYPES, s);
}

/** Number of elements of a shape (1 for a scalar []). */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** obj[key] = value as an own property, even for "__proto__" (which plain assignment would treat as the prototype). */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Reverses byte order within each `width`-byte word, in place (used only on big-endian hosts; exported for its test). */
export function swapBytes(bytes: Uint8Array, width: number): void {
  if (width === 1) return;
  for (let i = 0; i < bytes.length; i += width) bytes.subarray(i, i + width).reverse();
}

/**
 * Parses a safetensors file held in memory. Validates the header length, the
 * JSON, every dtype, shape and offset, and that the tensors tile the byte
 * buffer; throws `UserError` naming `source` and the tensor otherwise.
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  source = "<buffer>",
  opts: { keepHalf?: boolean } = {},
): SafetensorsFile {
  const fail = (msg: string): never => {
    throw new UserError(`${source}: ${msg}`);
  };
  if (bytes.byteLength < 8)
    fail(`not a safetensors file: ${bytes.byteLength} bytes, need at least 8`);
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(bytes.byteLength - 8)) {
    fail(`header length ${n64} runs past the end of the file (${bytes.byteLength} bytes)`);
  }
  const n = Number(n64);
  if (n > MAX_HEADER) fail(`header length ${n} exceeds the ${MAX_HEADER}-byte limit`);
  let header: unknown;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n));
    header = JSON.parse(text);
  } catch (err) {
    fail(`header is not valid UTF-8 JSON (${(err as Error).message})`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) {
    fail("header must be a JSON object");
  }
  const dataStart = 8 + n;
  const dataLen = bytes.byteLength - dataStart;
  const metadata: Record<string, string> = {};
  const entries: {
    name: string;
    dtype: SafetensorsDType;
    shape: number[];
    begin: number;
    end: number;
  }[] = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        fail(`"__metadata__" must be an object of strings`);
      }
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== "string")
          fail(`"__metadata__" field "${k}" must be a string, got ${JSON.stringify(v)}`);
        setOwn(metadata, k, v as string);
      }
      continue;
    }
    const bad = (msg: string): never => fail(`tensor "${name}": ${msg}`);
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      bad("entry must be an object {dtype, shape, data_offsets}");
    }
    const { dtype, shape, data_offsets } = value as Record<string, unknown>;
    if (!isDType(dtype)) {
      bad(
        `unknown dtype ${JSON.stringify(dtype)} (expected one of ${Object.keys(DTYPES).join(", ")})`,
      );
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      bad(`shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    if (
      !Array.isArray(data_offsets) ||
      data_offsets.length !== 2 ||
      !data_offsets.every((o) => Number.isSafeInteger(o) && o >= 0)
    ) {
      bad(
        `data_offsets must be [begin, end] non-negative integers, got ${JSON.stringify(data_offsets)}`,
      );
    }
    const [begin, end] = data_offsets as number[];
    if (begin > end) bad(`data_offsets [${begin}, ${end}] end before they begin`);
    if (end > dataLen)
      bad(`data_offsets [${begin}, ${end}] run past the ${dataLen}-byte data buffer`);
    const dt = dtype as SafetensorsDType;
    const want = shapeSize(shape as number[]) * DTYPES[dt].bytes;
    if (want !== end - begin) {
      bad(
        `shape [${(shape as number[]).join(", ")}] of ${dt} needs ${want} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`,
      );
    }
    entries.push({ name, dtype: dt, shape: (shape as number[]).slice(), begin, end });
  }
  // The tensors must tile [0, dataLen) exactly, as the reference reader demands.
  const sorted = entries.slice().sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let prev: string | undefined;
  for (const e of sorted) {
    if (e.begin < pos)
      fail(`tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] overlap tensor "${prev}"`);
    if (e.begin > pos) {
      fail(
        `tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] leave a hole at bytes [${pos}, ${e.begin})`,
      );
    }
    pos = e.end;
    prev = e.name;
  }
  if (pos !== dataLen)
    fail(`${dataLen - pos} bytes after the last tensor are not described by the header`);

  const tensors: Record<string, HostTensor> = {};
  for (const e of entries) {
    const { bytes: width, ctor } = DTYPES[e.dtype];
    // a fresh, aligned copy (Buffer#slice would be a view into a shared pool)
    const raw = new Uint8Array(e.end - e.begin);
    raw.set(bytes.subarray(dataStart + e.begin, dataStart + e.end));
    if (!LITTLE_ENDIAN) swapBytes(raw, width);
    const data = new ctor(raw.buffer, 0, raw.byteLength / width);
    if ((e.dtype === "F16" || e.dtype === "BF16") && !opts.keepHalf) {
      setOwn(tensors, e.name, {
        dtype: "F32",
        shape: e.shape,
        data: decodeHalf(data as Uint16Array, e.dtype),
      });
    } else {
      setOwn(tensors, e.name, { dtype: e.dtype, shape: e.shape, data });
    }
  }
  return { tensors, metadata };
}

/** Checks that a host tensor is self-consistent; throws naming it otherwise. */
function checkHost(name: string, t: HostTensor): void {
  if (!isDType(t.dtype))
    throw new UserError(`tensor "${name}": unknown dtype ${JSON.stringify(t.dtype)}`);
  const { ctor } = DTYPES[t.dtype];
  if (!(t.data instanceof (ctor as unknown as typeof Uint8Array))) {
    throw new UserError(
      `tensor "${name}": dtype ${t.dtype} needs a ${ctor.name}, got ${t.data?.constructor?.name}`,
    );
  }
  if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new UserError(
      `tensor "${name}": shape must be non-negative integers, got ${JSON.stringify(t.shape)}`,
    );
  }
  if (shapeSize(t.shape) !== t.data.length) {
    throw new UserError(
      `tensor "${name}": shape [${t.shape.join(", ")}] has ${shapeSize(t.shape)} elements but data has ${t.data.length}`,
    );
  }
}

/**
 * Serialises tensors (sorted by name) and string metadata to safetensors
 * bytes: u64 header length, JSON header padded with spaces to a multiple of 8,
 * little-endian data. `decodeSafetensors(encodeSafetensors(t), src, {keepHalf: true})`
 * gives back `t` bit for bit.
 */
export function encodeSafetensors(
  tensors: Record<string, HostTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const names = Object.keys(tensors).sort();
  for (const name of names) checkHost(name, tensors[name]);
  const header = safetensorsHeader(
    names.map((name) => ({ name, ...tensors[name], byteLength: tensors[name].data.byteLength })),
    metadata,
  );
  const out = new Uint8Array(header.byteLength + header.dataBytes);
  out.set(header);
  let pos = header.byteLength;
  for (const name of names) {
    const d = tensors[name].data;
    const view = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
    out.set(view, pos);
    if (!LITTLE_ENDIAN) swapBytes(out.subarray(pos, pos + d.byteLength), d.BYTES_PER_ELEMENT);
    pos += d.byteLength;
  }
  return out;
}

/**
 * The bytes before a safetensors file's data (u64 length, JSON header padded
 * with spaces to a multiple of 8) for tensors laid out in the order given,
 * and the data's length. Shared by `encodeSafetensors` and the streaming
 * writer (src/engine/safetensors-stream.ts), so both write the same bytes.
 */
export function safetensorsHeader(
  entries: { name: string; dtype: SafetensorsDType; shape: number[]; byteLength: number }[],
  metadata?: Record<string, string>,
): Uint8Array & { dataBytes: number } {
  const parts: string[] = [];
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string")
        throw new UserError(`safetensors metadata "${k}" must be a string, got ${typeof v}`);
    }
    parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  }
  let offset = 0;
  for (const { name, dtype, shape, byteLength } of entries) {
    if (name === "__metadata__") throw new UserError(`a tensor cannot be named "__metadata__"`);
    const end = offset + byteLength;
    parts.push(
      `${JSON.stringify(name)}:${JSON.stringify({ dtype, shape, data_offsets: [offset, end] })}`,
    );
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(",")}}`);
  const padded = Math.ceil(json.length / 8) * 8;
  const out = Object.assign(new Uint8Array(8 + padded).fill(0x20, 8), { dataBytes: offset });
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  return out;
}

/** Reads and validates a safetensors file (see `decodeSafetensors`). */
export function readSafetensors(path: string, opts: { keepHalf?: boolean } = {}): SafetensorsFile {
  let bytes: Uint8Array;
  try {
    bytes = nodeBuiltin("fs").readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(
      `${path}: cannot read safetensors file (${code ?? (err as Error).message})`,
    );
  }
  return decodeSafetensors(bytes, path, opts);
}

/** Writes tensors and metadata to `path` atomically (temp file, fsync, rename). */
export function writeSafetensors(
  path: string,
  tensors: Record<string, HostTensor>,
  metadata?: Record<string, string>,
): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

// ---------------------------------------------------------------------------
// Bridges to the engine.

/**
 * Copies an engine array to the host (consumes `a`). float32→F32,
 * float64→F64, int32→I32, uint32→U32, bool→BOOL, float16→F16 (raw bits).
 */
export async function toHost(a: np.Array): Promise<HostTensor> {
  const shape = a.shape.slice();
  const dtype = a.dtype;
  const data = await a.data();
  switch (dtype) {
    case np.float32:
      return { dtype: "F32", shape, data: Float32Array.from(data as Float32Array) };
    case np.float64:
      return { dtype: "F64", shape, data: Float64Array.from(data as Float64Array) };
    case np.int32:
      return { dtype: "I32", shape, data: Int32Array.from(data as Int32Array) };
    case np.uint32:
      return { dtype: "U32", shape, data: Uint32Array.from(data as Uint32Array) };
    case np.bool:
      return {
        dtype: "BOOL",
        shape,
        data: Uint8Array.from(data as ArrayLike<number>, (v) => (v ? 1 : 0)),
      };
    case np.float16:
      return { dtype: "F16", shape, data: encodeHalf(data as ArrayLike<number>, "F16") };
    default:
      throw new Error(`toHost: unsupported engine dtype ${dtype}`);
  }
}

function toInt32(t: HostTensor, name: string): Int32Array {
  const d = t.data;
  const out = new Int32Array(d.length);
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) {
    for (let i = 0; i < d.length; i++) {
      const v = d[i];
      if (v < -2147483648n || v > 2147483647n) {
        throw new UserError(
          `tensor "${name}": ${t.dtype} value ${v} at index ${i} does not fit in int32`,
        );
      }
      out[i] = Number(v);
    }
  } else {
    for (let i = 0; i < d.length; i++) {
      const v = d[i] as number;
      if (v > 2147483647)
        throw new UserError(
          `tensor "${name}": ${t.dtype} value ${v} at index ${i} does not fit in int32`,
        );
      out[i] = v;
    }
  }
  return out;
}

/**
 * Uploads a host tensor to the engine: F32/F16/BF16→float32, F64→float64,
 * U32→uint32, BOOL→bool, other integers→int32 (throws `UserError` naming
 * `name` if a 64-bit value overflows int32).
 */
export function fromHost(t: HostTensor, name = "<tensor>"): np.Array {
  checkHost(name, t);
  const shape = t.shape.slice();
  switch (t.dtype) {
    case "F32":
      return np.array(t.data as Float32Array<ArrayBuffer>, { shape, dtype: np.float32 });
    case "F64":
      return np.array(t.data as Float64Array<ArrayBuffer>, { shape, dtype: np.float64 });
    case "F16":
    case "BF16":
      return np.array(decodeHalf(t.data as Uint16Array, t.dtype) as Float32Array<ArrayBuffer>, {
        shape,
        dtype: np.float32,
      });
    case "U32":
      return np.array(t.data as Uint32Array<ArrayBuffer>, { shape, dtype: np.uint32 });
    case "BOOL":
      return np
        .array(
          Int32Array.from(t.data as Uint8Array, (v) => (v ? 1 : 0)),
          { shape, dtype: np.int32 },
        )
        .astype(np.bool);
    case "I32":
      return np.array(t.data as Int32Array<ArrayBuffer>, { shape, dtype: np.int32 });
    default:
      return np.array(toInt32(t, name) as Int32Array<ArrayBuffer>, { shape, dtype: np.int32 });
  }
}

/**
 * Saves a params pytree under its dotted names (`flattenNamed`), with
 * metadata {format: "pt", ...metadata} as Hugging Face loaders expect.
 * Does not consume `params`.
 */
export async function saveParams(
  path: string,
  params: unknown,
  metadata?: Record<string, string>,
): Promise<void> {
  const named = flattenNamed(params);
  const tensors: Record<string, HostTensor> = {};
  for (const [name, a] of Object.entries(named)) tensors[name] = await toHost(a.ref);
  writeSafetensors(path, tensors, { format: "pt", ...metadata });
}

/** Loads every tensor of a safetensors file as engine arrays, keyed by name. */
export function loadParams(path: string): Record<string, np.Array>;
/**
 * Loads a file into the structure of `template` (not consumed): every
 * dotted name of the template must be present with the same shape (the value
 * is cast to the template leaf's dtype); names in the file but not in the
 * template are an error unless `allowExtra`. Throws one `UserError` listing
 * every missing, extra and misshapen tensor.
 */
export function loadParams<T>(path: string, template: T, opts?: { allowExtra?: boolean }): T;
export function loadParams(
  path: string,
  template?: unknown,
  opts: { allowExtra?: boolean } = {},
): unknown {
  const file = readSafetensors(path);
  if (template === undefined) {
    const out: Record<string, np.Array> = {};
    for (const [name, t] of Object.entries(file.tensors)) out[name] = fromHost(t, name);
    return out;
  }
  return fillTemplate(path, file.tensors, template, opts.allowExtra ?? false);
}

/** Builds arrays shaped like `template` from host tensors (float ones must be finite); shared with checkpoint loading. */
export function fillTemplate<T>(
  source: string,
  tensors: Record<string, HostTensor>,
  template: T,
  allowExtra = false,
): T {
  const named = flattenNamed(template);
  const names = Object.keys(named);
  const problems: string[] = [];
  for (const name of names) {
    const t = tensors[name];
    const want = named[name].shape;
    if (!t) problems.push(`missing tensor "${name}" (shape [${want.join(", ")}])`);
    else if (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i])) {
      problems.push(
        `tensor "${name}" has shape [${t.shape.join(", ")}], expected [${want.join(", ")}]`,
      );
    }
  }
  if (!allowExtra) {
    const known = new Set(names);
    for (const name of Object.keys(tensors))
      if (!known.has(name)) problems.push(`unexpected tensor "${name}"`);
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 12).join("; ");
    const more = problems.length > 12 ? `; and ${problems.length - 12} more` : "";
    throw new UserError(`${source}: does not match the model: ${shown}${more}`);
  }
  const [leaves, def] = tree.flatten(template as tree.JsTree<np.Array>);
  if (leaves.length !== names.length)
    throw new Error("fillTemplate: template has non-array leaves");
  const filled = names.map((name) => {
    const t = tensors[name];
    if (t.dtype === "F32" || t.dtype === "F64")
      assertFinite(t.data as Float32Array, `${source}: tensor "${name}"`);
    const a = fromHost(t, name);
    const dt = named[name].dtype;
    return a.dtype === dt ? a : a.astype(dt);
  });
  return tree.unflatten(def, filled) as T;
}
