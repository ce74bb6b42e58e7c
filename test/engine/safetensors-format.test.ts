// safetensors edge cases the broad round trips leave open (issue 20): the header limit, every
// integer dtype's upload to int32, half precision kept raw, loading into a template of another
// dtype, non-finite weights refused, and the error that lists many mismatches.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { UserError } from "../../src/engine/errors.js";
import { numpy as np } from "../../src/engine/jax.js";
import {
  decodeSafetensors,
  encodeSafetensors,
  fromHost,
  type HostTensor,
  loadParams,
  shapeSize,
  toHost,
  writeSafetensors,
} from "../../src/engine/safetensors.js";
import { engineTmpDir } from "../helpers.js";

const tmp = engineTmpDir("prefopt-stf-");

function userError(fn: () => unknown, re: RegExp) {
  assert.throws(fn, (e: unknown) => e instanceof UserError && re.test((e as Error).message));
}

describe("safetensors format edges", () => {
  test("a header longer than 100 000 000 bytes is refused before it is parsed", () => {
    const bytes = new Uint8Array(8 + 100_000_001);
    new DataView(bytes.buffer).setBigUint64(0, 100_000_001n, true);
    userError(() => decodeSafetensors(bytes, "huge"), /^huge: header length 100000001 exceeds/);
  });

  test("an empty file list: the header {} alone, 8 bytes of length plus padding", () => {
    const bytes = encodeSafetensors({});
    assert.equal(bytes.length, 16);
    assert.equal(new DataView(bytes.buffer).getBigUint64(0, true), 8n);
    assert.equal(new TextDecoder().decode(bytes.subarray(8)), "{}      ");
    assert.deepEqual(decodeSafetensors(bytes), { tensors: {}, metadata: {} });
    // empty metadata is not written
    assert.deepEqual(encodeSafetensors({}, {}), bytes);
  });

  test("half precision: raw bit patterns with keepHalf, float32 values without", () => {
    const bits = new Uint16Array([0x3c00, 0xc000, 0x3555]); // 1, −2, ≈ 1/3
    const bytes = encodeSafetensors({ h: { dtype: "F16", shape: [3], data: bits } });
    const raw = decodeSafetensors(bytes, "h", { keepHalf: true }).tensors.h;
    assert.equal(raw.dtype, "F16");
    assert.deepEqual(raw.data, bits);
    const f = decodeSafetensors(bytes, "h").tensors.h;
    assert.equal(f.dtype, "F32");
    assert.deepEqual(Array.from(f.data as Float32Array).slice(0, 2), [1, -2]);
    assert.ok(Math.abs((f.data as Float32Array)[2] - 0.333251953125) < 1e-9);
  });

  test("metadata values must be strings and no tensor may be called __metadata__", () => {
    userError(
      () => encodeSafetensors({}, { a: 3 as unknown as string }),
      /metadata "a" must be a string/,
    );
    userError(
      () =>
        encodeSafetensors({ __metadata__: { dtype: "U8", shape: [1], data: new Uint8Array(1) } }),
      /__metadata__/,
    );
  });

  test("every integer dtype uploads to int32 with its values; 64-bit overflow is refused", async () => {
    const cases: [HostTensor, number[]][] = [
      [{ dtype: "I8", shape: [2], data: new Int8Array([-128, 127]) }, [-128, 127]],
      [{ dtype: "U8", shape: [2], data: new Uint8Array([0, 255]) }, [0, 255]],
      [{ dtype: "I16", shape: [2], data: new Int16Array([-32768, 32767]) }, [-32768, 32767]],
      [{ dtype: "U16", shape: [2], data: new Uint16Array([0, 65535]) }, [0, 65535]],
      [{ dtype: "U64", shape: [2], data: new BigUint64Array([0n, 2147483647n]) }, [0, 2147483647]],
      [{ dtype: "I64", shape: [2], data: new BigInt64Array([-2147483648n, 5n]) }, [-2147483648, 5]],
    ];
    for (const [t, want] of cases) {
      const a = fromHost(t, "x");
      assert.equal(a.dtype, np.int32, t.dtype);
      assert.deepEqual(Array.from(await a.data()), want, t.dtype);
    }
    userError(
      () => fromHost({ dtype: "U64", shape: [1], data: new BigUint64Array([2n ** 31n]) }, "ids"),
      /"ids".*does not fit/,
    );
    userError(
      () => fromHost({ dtype: "I64", shape: [1], data: new BigInt64Array([-(2n ** 31n) - 1n]) }),
      /does not fit/,
    );
    const u = fromHost({ dtype: "U32", shape: [1], data: new Uint32Array([4e9]) });
    assert.equal(u.dtype, np.uint32);
    assert.deepEqual(await toHost(u), { dtype: "U32", shape: [1], data: new Uint32Array([4e9]) });
    const b = fromHost({ dtype: "BOOL", shape: [3], data: new Uint8Array([0, 1, 1]) });
    assert.equal(b.dtype, np.bool);
    assert.deepEqual(Array.from(await b.astype(np.int32).data()), [0, 1, 1]);
    assert.equal(shapeSize([]), 1);
    assert.equal(shapeSize([2, 0, 3]), 0);
  });

  test("loading into a template casts to the template's dtype and refuses non-finite weights", async () => {
    const path = join(tmp(), "w.safetensors");
    writeSafetensors(path, {
      i: { dtype: "F32", shape: [2], data: new Float32Array([2, 3]) },
      f: { dtype: "I32", shape: [1], data: new Int32Array([7]) },
    });
    const t = loadParams(path, {
      i: np.zeros([2], { dtype: np.int32 }),
      f: np.zeros([1], { dtype: np.float32 }),
    });
    assert.equal(t.i.dtype, np.int32);
    assert.deepEqual(Array.from(await t.i.data()), [2, 3]);
    assert.equal(t.f.dtype, np.float32);
    assert.deepEqual(Array.from(await t.f.data()), [7]);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      writeSafetensors(path, { w: { dtype: "F32", shape: [2], data: new Float32Array([1, bad]) } });
      assert.throws(() => loadParams(path, { w: np.zeros([2]) }));
    }
    writeSafetensors(path, {
      w: { dtype: "F64", shape: [1], data: new Float64Array([Number.NaN]) },
    });
    assert.throws(() => loadParams(path, { w: np.zeros([1], { dtype: np.float64 }) }));
  });

  test("a mismatch error lists twelve problems and counts the rest", () => {
    const path = join(tmp(), "few.safetensors");
    writeSafetensors(path, {});
    const template: Record<string, np.Array> = {};
    for (let i = 0; i < 14; i++) template[`p${String(i).padStart(2, "0")}`] = np.zeros([1]);
    userError(() => loadParams(path, template), /missing tensor "p11".*; and 2 more$/);
    userError(
      () => loadParams(path, { a: np.zeros([1]) }),
      /^[^;]*missing tensor "a" \(shape \[1\]\)$/,
    );
  });
});
