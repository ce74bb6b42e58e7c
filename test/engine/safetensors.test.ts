import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { UserError } from "../../src/engine/errors.js";
import { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from "../../src/engine/half.js";
import { numpy as np } from "../../src/engine/jax.js";
import {
  decodeSafetensors,
  encodeSafetensors,
  fromHost,
  type HostTensor,
  loadParams,
  readSafetensors,
  saveParams,
  toHost,
  writeSafetensors,
} from "../../src/engine/safetensors.js";
import { engineTmpDir } from "../helpers.js";

const tmp = engineTmpDir("prefopt-st-");

const bytesOf = (d: ArrayBufferView) => new Uint8Array(d.buffer, d.byteOffset, d.byteLength);

/** An independent writer: builds a file byte by byte from a header string and raw data bytes. */
function handFile(header: string, data: number[], pad = true): Uint8Array {
  let h = header;
  while (pad && (8 + h.length) % 8 !== 0) h += " ";
  const out: number[] = [];
  let n = h.length;
  for (let i = 0; i < 8; i++) {
    out.push(n % 256);
    n = Math.floor(n / 256);
  }
  for (const ch of h) out.push(ch.charCodeAt(0));
  out.push(...data);
  return new Uint8Array(out);
}

const le32 = (u: number) => [u & 255, (u >>> 8) & 255, (u >>> 16) & 255, (u >>> 24) & 255];

function throwsUser(fn: () => unknown, ...parts: (string | RegExp)[]) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UserError, `expected UserError, got ${err}`);
    for (const p of parts) {
      if (typeof p === "string")
        assert.ok(err.message.includes(p), `"${err.message}" lacks "${p}"`);
      else assert.match(err.message, p);
    }
    return true;
  });
}

describe("half precision", () => {
  test("F16 decodes hand-computed values", () => {
    const cases: [number, number][] = [
      [0x3c00, 1],
      [0xc000, -2],
      [0x3555, 0.333251953125],
      [0x7bff, 65504],
      [0x0400, 2 ** -14],
      [0x0001, 2 ** -24],
      [0x03ff, 1023 * 2 ** -24],
      [0x7c00, Number.POSITIVE_INFINITY],
      [0xfc00, Number.NEGATIVE_INFINITY],
      [0x0000, 0],
    ];
    for (const [bits, v] of cases) assert.equal(f16BitsToF32(bits), v, bits.toString(16));
    assert.ok(Object.is(f16BitsToF32(0x8000), -0));
    assert.ok(Number.isNaN(f16BitsToF32(0x7e00)));
    assert.ok(Number.isNaN(f16BitsToF32(0xfc01)));
  });

  test("BF16 decodes hand-computed values", () => {
    assert.equal(bf16BitsToF32(0x3f80), 1);
    assert.equal(bf16BitsToF32(0xc000), -2);
    assert.equal(bf16BitsToF32(0x4049), 3.140625);
    assert.equal(bf16BitsToF32(0x0001), 2 ** -133); // float32 subnormal
    assert.equal(bf16BitsToF32(0x7f80), Number.POSITIVE_INFINITY);
    assert.equal(bf16BitsToF32(0xff80), Number.NEGATIVE_INFINITY);
    assert.ok(Number.isNaN(bf16BitsToF32(0x7fc0)));
    assert.ok(Object.is(bf16BitsToF32(0x8000), -0));
  });

  test("encoders round to nearest even and invert the decoders on every bit pattern", () => {
    assert.equal(f32ToF16Bits(1 / 3), 0x3555);
    assert.equal(f32ToF16Bits(65520), 0x7c00); // tie between 65504 and 2^16 goes to even (inf)
    assert.equal(f32ToF16Bits(65519), 0x7bff);
    assert.equal(f32ToF16Bits(2 ** -25), 0); // tie with 0 goes to even
    assert.equal(f32ToF16Bits(1.5 * 2 ** -24), 0x0002); // tie between 1 and 2 ulps → 2
    assert.equal(f32ToF16Bits(1 + 2 ** -11), 0x3c00); // tie → even mantissa
    assert.equal(f32ToF16Bits(1 + 3 * 2 ** -11), 0x3c02);
    assert.equal(f32ToF16Bits(1e-9), 0);
    assert.equal(f32ToF16Bits(-1e9), 0xfc00);
    assert.equal(f32ToBf16Bits(1 + 2 ** -8), 0x3f80); // tie → even
    assert.equal(f32ToBf16Bits(1 + 3 * 2 ** -8), 0x3f82);
    assert.equal(f32ToBf16Bits(Number.NaN) & 0x7fc0, 0x7fc0);
    for (let b = 0; b < 65536; b++) {
      const h = f16BitsToF32(b);
      if (Number.isNaN(h)) assert.ok(Number.isNaN(f16BitsToF32(f32ToF16Bits(h))));
      else assert.equal(f32ToF16Bits(h), b);
      const g = bf16BitsToF32(b);
      if (Number.isNaN(g)) assert.ok(Number.isNaN(bf16BitsToF32(f32ToBf16Bits(g))));
      else assert.equal(f32ToBf16Bits(g), b);
    }
  });
});

describe("safetensors format", () => {
  const nanBits = new Uint32Array([0x7fc00001, 0xffbfffff]); // NaNs with payloads
  const all: Record<string, HostTensor> = {
    f64: {
      dtype: "F64",
      shape: [2, 2],
      data: new Float64Array([Math.PI, -0, Number.NEGATIVE_INFINITY, 5e-324]),
    },
    f32: { dtype: "F32", shape: [2], data: new Float32Array(nanBits.buffer) },
    f32b: { dtype: "F32", shape: [3], data: new Float32Array([1.5, -0, 1e-45]) },
    f16: { dtype: "F16", shape: [3], data: new Uint16Array([0x3c00, 0x7e01, 0x8001]) },
    bf16: { dtype: "BF16", shape: [1, 3], data: new Uint16Array([0x3f80, 0x7fc1, 0x0001]) },
    i64: { dtype: "I64", shape: [2], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]) },
    u64: { dtype: "U64", shape: [1], data: new BigUint64Array([2n ** 64n - 1n]) },
    i32: { dtype: "I32", shape: [3], data: new Int32Array([-2147483648, 0, 2147483647]) },
    u32: { dtype: "U32", shape: [1], data: new Uint32Array([4294967295]) },
    i16: { dtype: "I16", shape: [2], data: new Int16Array([-32768, 32767]) },
    u16: { dtype: "U16", shape: [1], data: new Uint16Array([65535]) },
    i8: { dtype: "I8", shape: [2], data: new Int8Array([-128, 127]) },
    u8: { dtype: "U8", shape: [2, 1], data: new Uint8Array([0, 255]) },
    bool: { dtype: "BOOL", shape: [3], data: new Uint8Array([1, 0, 1]) },
    scalar: { dtype: "F32", shape: [], data: new Float32Array([7]) },
    empty: { dtype: "F32", shape: [0, 4], data: new Float32Array(0) },
  };

  test("every dtype round-trips bit for bit", () => {
    const bytes = encodeSafetensors(all, { format: "pt", note: "héllo" });
    const back = decodeSafetensors(bytes, "mem", { keepHalf: true });
    assert.deepEqual(back.metadata, { format: "pt", note: "héllo" });
    assert.deepEqual(Object.keys(back.tensors).sort(), Object.keys(all).sort());
    for (const [name, t] of Object.entries(all)) {
      const b = back.tensors[name];
      assert.equal(b.dtype, t.dtype, name);
      assert.deepEqual(b.shape, t.shape, name);
      assert.equal(b.data.constructor, t.data.constructor, name);
      assert.deepEqual(bytesOf(b.data), bytesOf(t.data), name);
    }
    // and the encoding itself is stable
    assert.deepEqual(encodeSafetensors(back.tensors, back.metadata), bytes);
  });

  test("F16 and BF16 are upcast to F32 on read by default", () => {
    const back = decodeSafetensors(encodeSafetensors({ h: all.f16, b: all.bf16 }));
    assert.equal(back.tensors.h.dtype, "F32");
    assert.equal(back.tensors.h.data[0], 1);
    assert.ok(Number.isNaN(back.tensors.h.data[1] as number));
    assert.ok(Object.is(back.tensors.h.data[2], -(2 ** -24)));
    assert.deepEqual(back.tensors.b.shape, [1, 3]);
    assert.equal(back.tensors.b.data[0], 1);
    assert.equal(back.tensors.b.data[2], 2 ** -133);
  });

  test("header is padded with spaces to a multiple of 8 and tensors are laid out in sorted order", () => {
    for (const name of ["a", "ab", "abc", "abcd", "abcde", "abcdef", "abcdefg", "abcdefgh"]) {
      const bytes = encodeSafetensors({ [name]: all.i8, z: all.u8 });
      const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      assert.equal(n % 8, 0);
      const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
      assert.match(header, /^\{.*\} *$/);
      assert.ok(header.trimEnd().length > n - 8);
      const parsed = JSON.parse(header);
      assert.deepEqual(parsed[name].data_offsets, [0, 2]);
      assert.deepEqual(parsed.z.data_offsets, [2, 4]);
      assert.deepEqual([...bytes.subarray(8 + n)], [128, 127, 0, 255]);
    }
  });

  test("a file written byte by byte decodes (unpadded header, unsorted offsets)", () => {
    const header =
      '{"b":{"dtype":"I32","shape":[2],"data_offsets":[4,12]},"__metadata__":{"k":"v"},' +
      '"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}';
    // a = 1.0f (0x3f800000); b = [-1, 258]
    const data = [...le32(0x3f800000), ...le32(0xffffffff), ...le32(258)];
    for (const pad of [false, true]) {
      const f = decodeSafetensors(handFile(header, data, pad), "hand.safetensors");
      assert.deepEqual(f.metadata, { k: "v" });
      assert.deepEqual(f.tensors.a, { dtype: "F32", shape: [], data: new Float32Array([1]) });
      assert.deepEqual(f.tensors.b, { dtype: "I32", shape: [2], data: new Int32Array([-1, 258]) });
    }
  });

  test("corrupt files give a UserError naming the file and the tensor", () => {
    const ok = '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    const d8 = [0, 0, 128, 63, 0, 0, 0, 64];
    const src = "bad.safetensors";
    const dec = (b: Uint8Array) => () => decodeSafetensors(b, src);
    throwsUser(dec(new Uint8Array(5)), src, "at least 8");
    const long = handFile(ok, d8);
    new DataView(long.buffer).setUint32(0, 100000, true);
    throwsUser(dec(long), src, "header length 100000 runs past");
    throwsUser(dec(handFile("{not json", d8)), src, "JSON");
    throwsUser(dec(handFile("[1,2]", [])), src, "JSON object");
    throwsUser(dec(handFile(ok.replace("F32", "F8_E4M3"), d8)), src, '"w"', "unknown dtype");
    throwsUser(dec(handFile(ok.replace("[2]", "[3]"), d8)), src, '"w"', "needs 12 bytes");
    throwsUser(dec(handFile(ok.replace("[2]", "[-2]"), d8)), src, '"w"', "shape");
    throwsUser(dec(handFile(ok.replace("[0,8]", "[0,16]"), d8)), src, '"w"', "run past");
    throwsUser(dec(handFile(ok.replace("[0,8]", "[8,0]"), d8)), src, '"w"', "end before");
    throwsUser(dec(handFile(ok.replace("[0,8]", "[0]"), d8)), src, '"w"', "data_offsets");
    throwsUser(dec(handFile(ok, [...d8, 1, 2, 3, 4])), src, "4 bytes after the last tensor");
    const two = (ob: string) =>
      `{"u":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"v":{"dtype":"F32","shape":[1],"data_offsets":${ob}}}`;
    throwsUser(dec(handFile(two("[2,6]"), [...d8])), src, "overlap");
    throwsUser(
      dec(handFile(two("[4,8]").replace("[0,4]", "[0,4]"), [...d8, 0, 0, 0, 0])),
      src,
      "bytes after",
    );
    throwsUser(dec(handFile(two("[8,12]"), [...d8, 0, 0, 0, 0])), src, '"v"', "hole");
    throwsUser(dec(handFile('{"__metadata__":{"a":1}}', [])), src, "__metadata__");
    throwsUser(dec(handFile('{"w":5}', [])), src, '"w"');
    // through the file reader, the path is named
    const path = join(tmp(), "corrupt.safetensors");
    writeFileSync(path, handFile(ok.replace("[2]", "[4]"), d8));
    throwsUser(() => readSafetensors(path), path, '"w"');
    throwsUser(
      () => readSafetensors(join(tmp(), "missing.safetensors")),
      "missing.safetensors",
      "ENOENT",
    );
  });

  test("encode rejects inconsistent host tensors", () => {
    throwsUser(
      () => encodeSafetensors({ x: { dtype: "F32", shape: [3], data: new Float32Array(2) } }),
      '"x"',
    );
    throwsUser(
      () => encodeSafetensors({ x: { dtype: "F32", shape: [2], data: new Float64Array(2) } }),
      '"x"',
    );
  });

  test("writeSafetensors writes atomically and reads back", () => {
    const path = join(tmp(), "sub", "a.safetensors");
    writeSafetensors(path, { x: all.f32b }, { a: "b" });
    const back = readSafetensors(path);
    assert.deepEqual(back.tensors.x, all.f32b);
    assert.deepEqual(
      readFileSync(path),
      Buffer.from(encodeSafetensors({ x: all.f32b }, { a: "b" })),
    );
  });
});

describe("engine bridges", () => {
  test("toHost/fromHost round-trip engine dtypes", async () => {
    const f = await toHost(
      np.array([
        [1.5, -2],
        [3, 4],
      ]),
    );
    assert.deepEqual(f, { dtype: "F32", shape: [2, 2], data: new Float32Array([1.5, -2, 3, 4]) });
    const i = await toHost(np.array([1, -7], { dtype: np.int32 }));
    assert.deepEqual(i, { dtype: "I32", shape: [2], data: new Int32Array([1, -7]) });
    const d = await toHost(np.array([Math.PI], { dtype: np.float64 }));
    assert.deepEqual(d.data, new Float64Array([Math.PI]));
    const b = await toHost(np.array([true, false]));
    assert.deepEqual(b, { dtype: "BOOL", shape: [2], data: new Uint8Array([1, 0]) });
    const s = await toHost(np.array(3));
    assert.deepEqual(s.shape, []);
    for (const t of [f, i, d, b, s]) assert.deepEqual(await toHost(fromHost(t)), t);
    const h = fromHost({ dtype: "BF16", shape: [2], data: new Uint16Array([0x3f80, 0xc000]) });
    assert.deepEqual(await h.data(), new Float32Array([1, -2]));
    const big = fromHost({
      dtype: "I64",
      shape: [2],
      data: new BigInt64Array([-5n, 2n ** 31n - 1n]),
    });
    assert.deepEqual(await big.data(), new Int32Array([-5, 2147483647]));
    throwsUser(
      () => fromHost({ dtype: "I64", shape: [1], data: new BigInt64Array([2n ** 31n]) }, "ids"),
      '"ids"',
    );
  });

  test("saveParams/loadParams keep names, values and structure", async () => {
    const params = {
      h: [{ w: np.array([[1, 2]]), b: np.array([0.5]) }],
      ln: { g: np.array([3, 4, 5]) },
    };
    const path = join(tmp(), "model.safetensors");
    await saveParams(path, params, { step: "3" });
    const raw = readSafetensors(path);
    assert.deepEqual(Object.keys(raw.tensors).sort(), ["h.0.b", "h.0.w", "ln.g"]);
    assert.deepEqual(raw.metadata, { format: "pt", step: "3" });
    const flat = loadParams(path);
    assert.deepEqual(await flat["h.0.w"].data(), new Float32Array([1, 2]));
    flat["h.0.b"].dispose();
    flat["ln.g"].dispose();
    const tree = loadParams(path, params);
    assert.ok(Array.isArray(tree.h));
    assert.deepEqual(tree.h[0].w.shape, [1, 2]);
    assert.deepEqual(await tree.ln.g.data(), new Float32Array([3, 4, 5]));
    assert.deepEqual(await tree.h[0].b.data(), new Float32Array([0.5]));
    tree.h[0].w.dispose();
    // template still alive (not consumed)
    assert.deepEqual(await params.h[0].b.ref.data(), new Float32Array([0.5]));
    const wrong = {
      h: [{ w: np.zeros([2, 2]), b: np.zeros([1]) }],
      ln: { g: np.zeros([3]), extra: np.zeros([1]) },
    };
    throwsUser(
      () => loadParams(path, wrong),
      path,
      '"h.0.w" has shape [1, 2], expected [2, 2]',
      'missing tensor "ln.extra"',
    );
    throwsUser(() => loadParams(path, { ln: { g: np.zeros([3]) } }), 'unexpected tensor "h.0.w"');
    const part = loadParams(path, { ln: { g: np.zeros([3]) } }, { allowExtra: true });
    assert.deepEqual(await part.ln.g.data(), new Float32Array([3, 4, 5]));
  });
});
