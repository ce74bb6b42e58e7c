// Every malformed safetensors header field is refused with the error that names it, and the
// legal corners the format allows are accepted (issue 20: mutation testing found checks whose
// removal changed only which error, or no error, came out). Files are built byte by byte here,
// independently of the writer.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { UserError } from "../../src/engine/errors.js";
import { numpy as np } from "../../src/engine/jax.js";
import {
  decodeSafetensors,
  encodeSafetensors,
  fillTemplate,
  fromHost,
  type HostTensor,
  loadParams,
  swapBytes,
  toHost,
  writeSafetensors,
} from "../../src/engine/safetensors.js";
import { engineTmpDir } from "../helpers.js";

const tmp = engineTmpDir("prefopt-sth-");

/** u64 little-endian header length, the header's bytes as given (no padding), then the data. */
function file(header: string | Uint8Array, data: number[] = [], length?: number): Uint8Array {
  const h = typeof header === "string" ? new TextEncoder().encode(header) : header;
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(length ?? h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

/** Throws a UserError whose message is `src: ` followed by text matching `re`. */
function refused(bytes: Uint8Array, re: RegExp) {
  assert.throws(
    () => decodeSafetensors(bytes, "f.st"),
    (e: unknown) => {
      assert.ok(e instanceof UserError, `expected a UserError, got ${e}`);
      assert.match((e as Error).message, /^f\.st: /);
      assert.match((e as Error).message, re);
      return true;
    },
  );
}

const entry = (dtype: string, shape: unknown, offsets: unknown) =>
  `{"dtype":${JSON.stringify(dtype)},"shape":${JSON.stringify(shape)},"data_offsets":${JSON.stringify(offsets)}}`;

describe("safetensors header: lengths and the JSON", () => {
  test("8 bytes is a file whose header is empty: refused as bad JSON, not as too short", () => {
    refused(new Uint8Array(8), /header is not valid UTF-8 JSON/);
    refused(new Uint8Array(7), /not a safetensors file: 7 bytes/);
  });

  test("a header length one byte past the end is refused; one that ends the file is read", () => {
    const ok = file("{}  ");
    assert.deepEqual(decodeSafetensors(ok), { tensors: {}, metadata: {} });
    refused(file("{}  ", [], 5), /header length 5 runs past the end of the file \(12 bytes\)/);
  });

  test("the header must be UTF-8: an invalid byte inside a string is an error, not U+FFFD", () => {
    const h = new TextEncoder().encode('{"__metadata__":{"k":"v?"}}');
    h[h.indexOf("?".charCodeAt(0))] = 0xff;
    refused(file(h), /not valid UTF-8 JSON/);
  });

  test("the header must be an object: null, a number, a string and an array are refused", () => {
    for (const h of ["null", "5", '"ab"', "[]", "[1]"])
      refused(file(h), /header must be a JSON object/);
  });
});

describe("safetensors header: metadata and entries", () => {
  test("__metadata__ must be an object of strings", () => {
    for (const m of ["null", "[]", '["a"]', "3", '"s"'])
      refused(file(`{"__metadata__":${m}}`), /"__metadata__" must be an object of strings/);
    refused(file('{"__metadata__":{"a":"x","b":null}}'), /field "b" must be a string, got null/);
  });

  test("a metadata key or tensor name __proto__ is an own field, not the prototype", () => {
    const f = decodeSafetensors(
      file(`{"__metadata__":{"__proto__":"p"},"__proto__":${entry("U8", [1], [0, 1])}}`, [9]),
    );
    assert.ok(Object.hasOwn(f.metadata, "__proto__"));
    assert.equal(Object.getOwnPropertyDescriptor(f.metadata, "__proto__")?.value, "p");
    assert.equal(Object.getPrototypeOf(f.metadata), Object.prototype);
    assert.ok(Object.hasOwn(f.tensors, "__proto__"));
    assert.deepEqual(Object.getOwnPropertyDescriptor(f.tensors, "__proto__")?.value, {
      dtype: "U8",
      shape: [1],
      data: new Uint8Array([9]),
    });
  });

  test("an entry must be an object {dtype, shape, data_offsets}", () => {
    for (const v of ["null", "5", '"w"', "[]", '["U8",[1],[0,1]]'])
      refused(file(`{"w":${v}}`, [0]), /tensor "w": entry must be an object/);
  });

  test("shapes: an array of non-negative safe integers", () => {
    for (const s of ['"2"', "2", "null", "[1.5]", "[-1]", "[2,-1]", "[9007199254740992]"]) {
      refused(
        file(`{"w":{"dtype":"U8","shape":${s},"data_offsets":[0,2]}}`, [0, 0]),
        /tensor "w": shape must be an array of non-negative integers/,
      );
    }
    // 0.5 × 4 elements of 1 byte would match 2 bytes of data if fractions were let through
    refused(
      file(`{"w":${entry("U8", [0.5, 4], [0, 2])}}`, [0, 0]),
      /tensor "w": shape must be an array/,
    );
  });

  test("data_offsets: exactly two non-negative safe integers", () => {
    for (const o of ["[0]", "[0,2,2]", "[]", '"0,2"', "null", "[-1,1]", "[0.5,2.5]", "[0,2.5]"]) {
      refused(
        file(`{"w":{"dtype":"U8","shape":[2],"data_offsets":${o}}}`, [0, 0]),
        /tensor "w": data_offsets must be \[begin, end\] non-negative integers/,
      );
    }
  });

  test("zero-size tensors: an empty shape dimension with begin = end, anywhere in the order", () => {
    const data = [1, 2, 3, 4];
    for (const header of [
      `{"a":${entry("F32", [1], [0, 4])},"e":${entry("F32", [0, 3], [0, 0])}}`,
      `{"e":${entry("F32", [0, 3], [0, 0])},"a":${entry("F32", [1], [0, 4])}}`,
      `{"a":${entry("F32", [1], [0, 4])},"e":${entry("F32", [2, 0], [4, 4])}}`,
    ]) {
      const f = decodeSafetensors(file(header, data));
      assert.equal(f.tensors.e.data.length, 0);
      assert.equal(f.tensors.e.dtype, "F32");
      assert.deepEqual(new Uint8Array(f.tensors.a.data.buffer), new Uint8Array(data));
    }
    // and the writer's zero-size tensor reads back
    const t: HostTensor = { dtype: "I32", shape: [0], data: new Int32Array(0) };
    assert.deepEqual(decodeSafetensors(encodeSafetensors({ t })).tensors.t, t);
  });
});

describe("safetensors writer: host tensors it refuses", () => {
  const refusedHost = (t: HostTensor, re: RegExp) =>
    assert.throws(
      () => encodeSafetensors({ x: t }),
      (e: unknown) => e instanceof UserError && re.test((e as Error).message),
    );

  test("an unknown dtype, a shape that is not an array of non-negative integers", () => {
    refusedHost(
      { dtype: "F8" as HostTensor["dtype"], shape: [1], data: new Uint8Array(1) },
      /tensor "x": unknown dtype "F8"/,
    );
    for (const shape of [[0.5, 2], [-1, -1], "1" as unknown as number[]]) {
      refusedHost(
        { dtype: "U8", shape, data: new Uint8Array(1) },
        /tensor "x": shape must be non-negative integers/,
      );
    }
  });
});

describe("loading into a template", () => {
  test("a shape of the right rank but one wrong dimension, and a wrong rank, are both named", () => {
    const path = join(tmp(), "w.safetensors");
    writeSafetensors(path, {
      a: { dtype: "F32", shape: [2, 3], data: new Float32Array(6) },
      b: { dtype: "F32", shape: [2], data: new Float32Array(2) },
    });
    assert.throws(
      () => loadParams(path, { a: np.zeros([2, 4]), b: np.zeros([2, 1]) }),
      (e: unknown) =>
        e instanceof UserError &&
        /"a" has shape \[2, 3\], expected \[2, 4\]; tensor "b"/.test(e.message) &&
        /"b" has shape \[2\], expected \[2, 1\]/.test(e.message),
    );
  });

  test("twelve problems are listed in full; past twelve, only the first twelve and a count", () => {
    const path = join(tmp(), "none.safetensors");
    writeSafetensors(path, {});
    const template = (n: number) => {
      const t: Record<string, np.Array> = {};
      for (let i = 0; i < n; i++) t[`p${String(i).padStart(2, "0")}`] = np.zeros([1]);
      return t;
    };
    const message = (n: number) => {
      try {
        loadParams(path, template(n));
      } catch (e) {
        return (e as Error).message;
      }
      assert.fail("no error");
    };
    const twelve = message(12);
    assert.match(twelve, /missing tensor "p11" \(shape \[1\]\)$/);
    assert.doesNotMatch(twelve, /more/);
    const fourteen = message(14);
    assert.match(fourteen, /missing tensor "p11" \(shape \[1\]\); and 2 more$/);
    assert.doesNotMatch(fourteen, /"p12"|"p13"/);
  });
});

describe("big-endian hosts", () => {
  test("swapBytes reverses each word of the dtype's width in place, and is its own inverse", () => {
    const bytes = () => Uint8Array.from({ length: 16 }, (_, i) => i);
    for (const width of [1, 2, 4, 8]) {
      const b = bytes();
      swapBytes(b, width);
      // an independent statement of the permutation: byte i goes to the mirror place in its word
      const want = Array.from({ length: 16 }, (_, i) => {
        const w = Math.floor(i / width) * width;
        return w + width - 1 - (i - w);
      });
      assert.deepEqual([...b], want, `width ${width}`);
      swapBytes(b, width);
      assert.deepEqual(b, bytes(), `width ${width} twice`);
    }
    // a float32 written big-endian reads, swapped, as the little-endian encoding of the same number
    const be = new Uint8Array(4);
    new DataView(be.buffer).setFloat32(0, -2.25, false);
    swapBytes(be, 4);
    assert.equal(new DataView(be.buffer).getFloat32(0, true), -2.25);
  });
});

describe("safetensors: what the first full mutation run left alive", () => {
  test("a dtype must be a string naming one: an array that would stringify to one is refused", () => {
    for (const d of [["F32"], 4, null]) {
      refused(
        file(`{"w":{"dtype":${JSON.stringify(d)},"shape":[1],"data_offsets":[0,4]}}`, [0, 0, 0, 0]),
        /tensor "w": unknown dtype/,
      );
    }
  });

  test("errors without a source name say <buffer>", () => {
    assert.throws(
      () => decodeSafetensors(new Uint8Array(3)),
      (e: unknown) => /^<buffer>: not a safetensors file/.test((e as Error).message),
    );
  });

  test("a header of exactly 100 000 000 bytes is within the limit", () => {
    const n = 100_000_000;
    const bytes = new Uint8Array(8 + n).fill(0x20);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(n), true);
    bytes[8] = "{".charCodeAt(0);
    bytes[9] = "}".charCodeAt(0);
    assert.deepEqual(decodeSafetensors(bytes), { tensors: {}, metadata: {} });
  });

  test("decoded records are ordinary objects: fields can be replaced and deleted", () => {
    const f = decodeSafetensors(
      encodeSafetensors({ x: { dtype: "U8", shape: [1], data: new Uint8Array([1]) } }, { k: "v" }),
    );
    f.metadata.k = "w";
    f.tensors.x = { dtype: "U8", shape: [1], data: new Uint8Array([2]) };
    assert.equal(f.metadata.k, "w");
    assert.equal(f.tensors.x.data[0], 2);
    delete f.tensors.x;
    delete f.metadata.k;
    assert.deepEqual(f, { tensors: {}, metadata: {} });
  });

  test("tensors are laid out by sorted name whatever order the record lists them in", () => {
    const a: HostTensor = { dtype: "U8", shape: [1], data: new Uint8Array([1]) };
    const z: HostTensor = { dtype: "U8", shape: [2], data: new Uint8Array([2, 3]) };
    const bytes = encodeSafetensors({ z, a });
    assert.deepEqual(bytes, encodeSafetensors({ a, z }));
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    assert.deepEqual(Object.keys(header), ["a", "z"]);
    assert.deepEqual(header.a.data_offsets, [0, 1]);
    assert.deepEqual(header.z.data_offsets, [1, 3]);
    assert.deepEqual([...bytes.subarray(8 + n)], [1, 2, 3]);
  });

  test("uploads keep a 2-D shape and the dtype for F64, F16, BF16, U32 and the integers", async () => {
    const cases: [HostTensor, np.Array["dtype"]][] = [
      [{ dtype: "F32", shape: [2, 1], data: new Float32Array([1, 2]) }, np.float32],
      [{ dtype: "F64", shape: [2, 1], data: new Float64Array([1, 2]) }, np.float64],
      [{ dtype: "F16", shape: [2, 1], data: new Uint16Array([0x3c00, 0x4000]) }, np.float32],
      [{ dtype: "BF16", shape: [2, 1], data: new Uint16Array([0x3f80, 0x4000]) }, np.float32],
      [{ dtype: "U32", shape: [2, 1], data: new Uint32Array([1, 2]) }, np.uint32],
      [{ dtype: "I32", shape: [2, 1], data: new Int32Array([1, 2]) }, np.int32],
      [{ dtype: "I8", shape: [2, 1], data: new Int8Array([1, 2]) }, np.int32],
      [{ dtype: "I64", shape: [2, 1], data: new BigInt64Array([1n, 2n]) }, np.int32],
    ];
    for (const [t, dtype] of cases) {
      const a = fromHost(t, t.dtype);
      assert.deepEqual(a.shape, [2, 1], t.dtype);
      assert.equal(a.dtype, dtype, t.dtype);
      assert.deepEqual(Array.from(await a.data(), Number), [1, 2], t.dtype);
    }
  });

  test("a float16 engine array comes to the host as F16 bit patterns", async () => {
    const h = await toHost(np.array([1, -2, 0.5], { dtype: np.float16 }).reshape([3, 1]));
    assert.deepEqual(h, {
      dtype: "F16",
      shape: [3, 1],
      data: new Uint16Array([0x3c00, 0xc000, 0x3800]),
    });
  });

  test("an upload does not share the host tensor's shape array; a NaN weight is named", async () => {
    const t: HostTensor = { dtype: "F32", shape: [2, 1], data: new Float32Array([1, 2]) };
    const a = fromHost(t, "w");
    t.shape[0] = 1;
    t.shape[1] = 2;
    assert.deepEqual(a.shape, [2, 1]);
    a.dispose();
    assert.throws(
      () =>
        fillTemplate(
          "src",
          { w: { dtype: "F32", shape: [1], data: new Float32Array([Number.NaN]) } },
          { w: np.zeros([1]) },
        ),
      (e: unknown) => /src: tensor "w"/.test((e as Error).message),
    );
  });

  test("fillTemplate refuses tensors the template lacks unless told to allow them", async () => {
    const tensors: Record<string, HostTensor> = {
      w: { dtype: "F32", shape: [1], data: new Float32Array([4]) },
      extra: { dtype: "F32", shape: [1], data: new Float32Array([5]) },
    };
    assert.throws(
      () => fillTemplate("src", tensors, { w: np.zeros([1]) }),
      (e: unknown) => e instanceof UserError && /unexpected tensor "extra"/.test(e.message),
    );
    const ok = fillTemplate("src", tensors, { w: np.zeros([1]) }, true);
    assert.deepEqual(Array.from(await ok.w.data()), [4]);
  });
});
