/**
 * Property-based fuzzing (fast-check), bounded in time: the JSONL dataset
 * readers (shared line reader, SFT, preference, image pairs), the safetensors
 * header parser and the model config reader. On any input each either returns
 * a well-formed value or throws a `UserError` that names its source — never a
 * TypeError, RangeError or silent nonsense — and well-formed inputs round-trip.
 * PREFOPT_FUZZ_RUNS / PREFOPT_FUZZ_SECONDS scale a run (defaults 300 runs,
 * 3 s per target); a failure prints the seed and the shrunk counterexample.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import fc from "fast-check";
import { imagePairFromRow } from "../../src/data/image-pairs.js";
import { parseJsonl } from "../../src/data/jsonl.js";
import {
  type PreferenceExample,
  parsePreferenceJsonl,
  preferenceJsonl,
} from "../../src/data/preference-data.js";
import { parseSFTRow } from "../../src/data/sft-data.js";
import { UserError } from "../../src/engine/errors.js";
import { initEngine } from "../../src/engine/init.js";
import {
  decodeSafetensors,
  encodeSafetensors,
  type HostTensor,
  type SafetensorsDType,
} from "../../src/engine/safetensors.js";
import { validateDiffusionConfig } from "../../src/models/diffusion/validate-config.js";
import { configFromHF } from "../../src/models/lm/config.js";
import { ROOT } from "./cli.js";
import { TINY_DIFFUSION_CONFIG } from "./tiny-model.js";

const RUNS = Number(process.env.PREFOPT_FUZZ_RUNS ?? 300);
const MS = 1000 * Number(process.env.PREFOPT_FUZZ_SECONDS ?? 3);

before(async () => {
  await initEngine();
});

/** Runs a property for at most RUNS cases / MS milliseconds; fails with fast-check's report. */
function fuzz<T>(
  t: { diagnostic(s: string): void },
  name: string,
  arb: fc.Arbitrary<T>,
  pred: (x: T) => void,
  runs = RUNS,
): void {
  const out = fc.check(fc.property(arb, pred), {
    numRuns: runs,
    interruptAfterTimeLimit: MS,
    seed: process.env.PREFOPT_FUZZ_SEED ? Number(process.env.PREFOPT_FUZZ_SEED) : undefined,
  });
  if (out.failed) assert.fail(`${name}: ${fc.defaultReportMessage(out)}`);
  t.diagnostic(`${name}: ${out.numRuns} runs (seed ${out.seed})`);
  assert.ok(out.numRuns >= Math.min(runs, 20), `${name}: only ${out.numRuns} runs in ${MS} ms`);
}

/** Calls f; a throw must be a UserError whose message starts with `source`. Returns the value or undefined. */
function userErrorOr<R>(f: () => R, source: string): R | undefined {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof UserError)) throw new Error(`not a UserError: ${(e as Error)?.stack ?? e}`);
    if (!e.message.startsWith(source))
      throw new Error(`message does not name ${source}: ${e.message}`);
    if (e.message.includes("\n")) throw new Error(`multi-line message: ${e.message}`);
    return undefined;
  }
}

// a JSONL line: real JSON, near-JSON, or noise
const jsonLine = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom("{", "}", "[]", "null", "NaN", '{"a":1,}', "\uFEFF{}", "\r", "  ", ""),
);
const jsonlText = fc
  .tuple(fc.array(jsonLine, { maxLength: 8 }), fc.constantFrom("\n", "\r\n"), fc.boolean())
  .map(([lines, eol, bom]) => (bom ? "\uFEFF" : "") + lines.join(eol));

const text = fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 });
const message = fc.record({
  role: fc.oneof(fc.constantFrom("user", "assistant", "system"), fc.jsonValue()),
  content: fc.oneof(text, fc.jsonValue()),
});
const field = fc.oneof(text, fc.array(message, { maxLength: 3 }), fc.jsonValue());
const prefRow = fc.record(
  { prompt: field, chosen: field, rejected: field, margin: fc.oneof(fc.double(), fc.jsonValue()) },
  { requiredKeys: [] },
);
const template = (m: { role: string; content: string }[], o: { addGenerationPrompt: boolean }) =>
  m.map((x) => `<${x.role}>${x.content}\n`).join("") + (o.addGenerationPrompt ? "<assistant>" : "");

describe("fuzz: JSONL dataset readers", () => {
  it("the line reader: UserError naming file:line, or rows with correct line numbers", (t) => {
    fuzz(t, "parseJsonl", jsonlText, (s) => {
      const rows = userErrorOr(() => parseJsonl(s, "f.jsonl"), "f.jsonl");
      if (!rows) return;
      const lines = s.replace(/^\uFEFF/, "").split("\n");
      for (const r of rows) {
        const raw = lines[r.line - 1].replace(/\r$/, "");
        assert.deepEqual(r.value, JSON.parse(raw));
      }
    });
  });

  it("a broken line k is reported as line k, whatever BOM, CRLF and blank lines come before", (t) => {
    const arb = fc.tuple(
      fc.array(
        fc.oneof(
          fc.jsonValue().map((v) => JSON.stringify(v)),
          fc.constant(""),
        ),
        {
          maxLength: 6,
        },
      ),
      fc.constantFrom("\n", "\r\n"),
      fc.boolean(),
    );
    fuzz(t, "parseJsonl line numbers", arb, ([good, eol, bom]) => {
      const s = `${bom ? "\uFEFF" : ""}${[...good, "{broken"].join(eol)}`;
      assert.throws(
        () => parseJsonl(s, "f.jsonl"),
        (e: Error) =>
          e instanceof UserError && e.message.startsWith(`f.jsonl:${good.length + 1}: `),
      );
    });
  });

  it("preference rows: UserError naming file:line (and field), or examples with two different completions", (t) => {
    const arb = fc.array(fc.oneof(prefRow, fc.jsonValue()), { minLength: 1, maxLength: 4 });
    fuzz(t, "parsePreferenceJsonl", arb, (rows) => {
      const s = rows.map((r) => JSON.stringify(r) ?? "null").join("\n");
      const ex = userErrorOr(
        () => parsePreferenceJsonl(s, "p.jsonl", { chatTemplate: template }),
        "p.jsonl",
      );
      if (!ex) return;
      assert.equal(ex.length, rows.length);
      for (const e of ex) {
        assert.equal(typeof e.prompt, "string");
        assert.ok(e.chosen.length > 0 && e.rejected.length > 0);
        if (e.margin !== undefined) assert.ok(Number.isFinite(e.margin));
      }
    });
  });

  it("valid preference data round-trips through preferenceJsonl with BOM/CRLF", (t) => {
    const ex = fc
      .record({ prompt: fc.string({ maxLength: 10 }), chosen: text, rejected: text })
      .filter((e) => e.chosen !== e.rejected);
    const arb = fc.tuple(fc.array(ex, { minLength: 1, maxLength: 5 }), fc.boolean());
    fuzz(t, "preference round trip", arb, ([xs, crlf]) => {
      let s = preferenceJsonl(xs as PreferenceExample[]);
      if (crlf) s = `\uFEFF${s.replaceAll("\n", "\r\n")}`;
      assert.deepEqual(
        parsePreferenceJsonl(s, "r.jsonl"),
        xs.map((x) => ({ ...x })),
      );
    });
  });

  it("SFT rows: UserError naming file:line, or a well-formed example", (t) => {
    const sftRow = fc.record(
      { prompt: field, completion: field, messages: fc.oneof(fc.array(message), fc.jsonValue()) },
      { requiredKeys: [] },
    );
    fuzz(t, "parseSFTRow", fc.oneof(sftRow, fc.jsonValue()), (row) => {
      const ex = userErrorOr(() => parseSFTRow(row, "s.jsonl:3"), "s.jsonl:3");
      if (!ex) return;
      if ("messages" in ex) assert.equal(ex.messages[ex.messages.length - 1].role, "assistant");
      else assert.equal(typeof ex.prompt === "string", typeof ex.completion === "string");
    });
  });

  it("image-pair rows: UserError naming file:line, or two 28×28 images", (t) => {
    const base = join(ROOT, "test", "fixtures", "bad");
    const path = fc.oneof(
      fc.constantFrom(
        "img-ok-28.png",
        "img-ok-28-b.png",
        "img-32x32.png",
        "img-not-a-png.png",
        "nope.png",
        ".",
        "/",
        "",
      ),
      fc.jsonValue(),
    );
    const row = fc.record({ prompt: field, chosen: path, rejected: path }, { requiredKeys: [] });
    fuzz(t, "imagePairFromRow", fc.oneof(row, fc.jsonValue()), (r) => {
      const p = userErrorOr(() => imagePairFromRow(r, "i.jsonl", 2, base), "i.jsonl:2");
      if (!p) return;
      assert.equal(p.chosen.length, 28 * 28);
      assert.equal(p.rejected.length, 28 * 28);
      assert.notEqual(p.chosenPath, p.rejectedPath);
    });
  });
});

// --- safetensors -------------------------------------------------------------
const DT: SafetensorsDType[] = [
  "F64",
  "F32",
  "F16",
  "BF16",
  "I64",
  "I32",
  "I16",
  "I8",
  "U64",
  "U32",
  "U16",
  "U8",
  "BOOL",
];
const WIDTH: Record<string, number> = {
  F64: 8,
  I64: 8,
  U64: 8,
  F32: 4,
  I32: 4,
  U32: 4,
  F16: 2,
  BF16: 2,
  I16: 2,
  U16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** A random valid tensor of a dtype (raw bytes from a seed, BOOL 0/1). */
const tensor: fc.Arbitrary<HostTensor> = fc
  .tuple(
    fc.constantFrom(...DT),
    fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
    fc.uint8Array({ minLength: 64 * 8, maxLength: 64 * 8 }),
  )
  .map(([dtype, shape, bytes]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const raw = bytes.slice(0, n * WIDTH[dtype]);
    if (dtype === "BOOL") for (let i = 0; i < raw.length; i++) raw[i] &= 1;
    const ctor = {
      F64: Float64Array,
      F32: Float32Array,
      F16: Uint16Array,
      BF16: Uint16Array,
      I64: BigInt64Array,
      I32: Int32Array,
      I16: Int16Array,
      I8: Int8Array,
      U64: BigUint64Array,
      U32: Uint32Array,
      U16: Uint16Array,
      U8: Uint8Array,
      BOOL: Uint8Array,
    }[dtype];
    return { dtype, shape, data: new ctor(raw.buffer as ArrayBuffer) } as HostTensor;
  });
const tensors = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== "__metadata__"),
  tensor,
  { maxKeys: 4 },
);

/** A decoded file must be self-consistent: every tensor's data has shape-product elements. */
function checkDecoded(f: ReturnType<typeof decodeSafetensors>): void {
  for (const [name, t] of Object.entries(f.tensors)) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    assert.equal(t.data.length, n, `tensor ${name}`);
  }
  for (const v of Object.values(f.metadata)) assert.equal(typeof v, "string");
}

const bytesWithHeader = (header: string, data: Uint8Array, lie = 0n) => {
  const hb = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + hb.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.length) + lie, true);
  out.set(hb, 8);
  out.set(data, 8 + hb.length);
  return out;
};

describe("fuzz: safetensors header parser", () => {
  it("valid files round-trip bit for bit (every dtype, scalars and empty tensors)", (t) => {
    const meta = fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), {
      maxKeys: 3,
    });
    fuzz(t, "safetensors round trip", fc.tuple(tensors, meta), ([ts, md]) => {
      const f = decodeSafetensors(encodeSafetensors(ts, md), "x.safetensors", { keepHalf: true });
      assert.deepEqual(Object.keys(f.tensors).sort(), Object.keys(ts).sort());
      for (const [k, v] of Object.entries(ts)) {
        assert.equal(f.tensors[k].dtype, v.dtype);
        assert.deepEqual(f.tensors[k].shape, v.shape);
        assert.deepEqual(
          new Uint8Array(
            f.tensors[k].data.buffer,
            f.tensors[k].data.byteOffset,
            f.tensors[k].data.byteLength,
          ),
          new Uint8Array(v.data.buffer, v.data.byteOffset, v.data.byteLength),
        );
      }
      if (Object.keys(md).length) assert.deepEqual({ ...f.metadata }, { ...md });
    });
  });

  it("mutated files (byte flips, truncation, header length lies): UserError naming the file, or a consistent parse", (t) => {
    const arb = fc.tuple(
      tensors,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      fc.option(fc.nat(), { nil: undefined }),
      fc.option(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { nil: undefined }),
    );
    fuzz(t, "safetensors mutations", arb, ([ts, flips, cut, len]) => {
      let b = encodeSafetensors(ts);
      for (const [i, v] of flips) b[i % b.length] = v;
      if (cut !== undefined) b = b.subarray(0, cut % (b.length + 1));
      if (len !== undefined && b.length >= 8)
        new DataView(b.buffer, b.byteOffset).setBigUint64(0, len, true);
      const f = userErrorOr(() => decodeSafetensors(b, "m.safetensors"), "m.safetensors");
      if (f) checkDecoded(f);
    });
  });

  it("arbitrary headers (dtypes, shapes, offsets, metadata, odd names): UserError, or every entry decoded", (t) => {
    const entry = fc.record(
      {
        dtype: fc.oneof(fc.constantFrom(...DT, "Q4", "f32", ""), fc.jsonValue()),
        shape: fc.oneof(
          fc.array(fc.integer({ min: -1, max: 4 }), { maxLength: 3 }),
          fc.jsonValue(),
        ),
        data_offsets: fc.oneof(
          fc.tuple(fc.integer({ min: -2, max: 40 }), fc.integer({ min: -2, max: 40 })),
          fc.jsonValue(),
        ),
      },
      { requiredKeys: [] },
    );
    const name = fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.constantFrom("__proto__", "constructor", "__metadata__", "toString"),
    );
    const header = fc.dictionary(name, fc.oneof(entry, fc.jsonValue()), { maxKeys: 4 });
    const arb = fc.tuple(
      header,
      fc.integer({ min: 0, max: 48 }),
      fc.oneof(fc.constant(0n), fc.bigInt({ min: -8n, max: 8n })),
    );
    fuzz(t, "safetensors headers", arb, ([h, nData, lie]) => {
      const b = bytesWithHeader(JSON.stringify(h), new Uint8Array(nData), lie);
      const f = userErrorOr(() => decodeSafetensors(b, "h.safetensors"), "h.safetensors");
      if (!f) return;
      checkDecoded(f);
      const names = Object.keys(JSON.parse(JSON.stringify(h))).filter((k) => k !== "__metadata__");
      assert.deepEqual(
        Object.keys(f.tensors).sort(),
        names.sort(),
        "every header entry is a decoded tensor",
      );
    });
  });

  it("tensor and metadata names that are Object.prototype keys stay plain names", () => {
    const b = bytesWithHeader(
      '{"__proto__":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},' +
        '"constructor":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"__metadata__":{"__proto__":"x"}}',
      new Uint8Array([7, 9]),
    );
    const f = decodeSafetensors(b, "p.safetensors");
    assert.deepEqual(Object.keys(f.tensors).sort(), ["__proto__", "constructor"]);
    assert.deepEqual(Array.from(f.tensors["constructor"].data as Uint8Array), [9]);
    assert.deepEqual(Array.from(f.tensors["__proto__"].data as Uint8Array), [7]);
    assert.deepEqual(Object.keys(f.metadata), ["__proto__"]);
    assert.equal((f.tensors as Record<string, unknown>).dtype, undefined);
  });

  it("arbitrary bytes: UserError naming the file, or a consistent parse", (t) => {
    fuzz(t, "safetensors bytes", fc.uint8Array({ maxLength: 64 }), (b) => {
      const f = userErrorOr(() => decodeSafetensors(b, "b.safetensors"), "b.safetensors");
      if (f) checkDecoded(f);
    });
  });
});

// --- config.json ---------------------------------------------------------------
describe("fuzz: config reader", () => {
  const valueFor = fc.oneof(
    fc.integer({ min: -2, max: 64 }),
    fc.double(),
    fc.constantFrom(0, 1, 2, 4, 8, 16, 32, 1e-5, "8", null, true),
    fc.jsonValue(),
  );
  const keys = [
    "model_type",
    "vocab_size",
    "n_positions",
    "n_ctx",
    "n_embd",
    "n_layer",
    "n_head",
    "n_inner",
    "layer_norm_epsilon",
    "activation_function",
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "num_key_value_heads",
    "head_dim",
    "intermediate_size",
    "max_position_embeddings",
    "rms_norm_eps",
    "rope_theta",
    "rope_scaling",
    "hidden_act",
    "bos_token_id",
    "eos_token_id",
    "pad_token_id",
    "tie_word_embeddings",
  ];
  const base = {
    gpt2: { model_type: "gpt2", vocab_size: 32, n_positions: 16, n_embd: 8, n_layer: 1, n_head: 2 },
    llama: {
      model_type: "llama",
      vocab_size: 32,
      hidden_size: 8,
      intermediate_size: 16,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      num_key_value_heads: 1,
    },
  };
  const config = fc.oneof(
    fc
      .tuple(
        fc.constantFrom("gpt2", "llama"),
        fc.dictionary(fc.constantFrom(...keys), valueFor, { maxKeys: 4 }),
      )
      .map(([mt, edits]) => ({ ...base[mt as "gpt2" | "llama"], ...edits }) as unknown),
    fc.dictionary(fc.constantFrom(...keys), valueFor),
    fc.jsonValue(),
  );
  it("UserError naming config.json, or a config whose sizes and head arithmetic hold", (t) => {
    fuzz(t, "configFromHF", config, (j) => {
      const c = userErrorOr(
        () => configFromHF(j as Record<string, unknown>, "config.json"),
        "config.json",
      );
      if (!c) return;
      for (const k of [
        "vocabSize",
        "maxPositions",
        "dModel",
        "nLayer",
        "nHead",
        "nKvHead",
        "headDim",
        "dFF",
      ] as const)
        assert.ok(Number.isSafeInteger(c[k]) && c[k] > 0, `${k} = ${c[k]}`);
      assert.equal(c.nHead % c.nKvHead, 0);
      if (c.modelType === "gpt2") assert.equal(c.dModel % c.nHead, 0);
      else assert.equal(c.headDim % 2, 0);
      assert.ok(c.normEps > 0 && c.ropeTheta > 0);
    });
  });

  it("diffusion config.json: UserError naming the file and field, or a config the UNet can be built from", (t) => {
    const paths = [
      ["imageSize"],
      ["unet", "channels"],
      ["unet", "channels", 0],
      ["unet", "condDim"],
      ["unet", "groups"],
      ["unet", "attention"],
      ["text", "vocabSize"],
      ["text", "maxLen"],
      ["text", "dim"],
      ["text", "layers"],
      ["text", "heads"],
      ["text", "outDim"],
      ["vocab"],
      ["vocab", 1],
      ["schedule", "kind"],
      ["schedule", "T"],
      ["unet"],
      ["text"],
    ] as (string | number)[][];
    const mutate = (edits: [number, unknown][]) => {
      const c = structuredClone(TINY_DIFFUSION_CONFIG) as unknown as Record<string, unknown>;
      for (const [pi, v] of edits) {
        const path = paths[pi % paths.length];
        let o = c as Record<string | number, unknown>;
        for (const k of path.slice(0, -1)) {
          if (o[k] === null || typeof o[k] !== "object") break;
          o = o[k] as Record<string | number, unknown>;
        }
        o[path[path.length - 1]] = v;
      }
      return c;
    };
    const arb = fc.oneof(
      fc
        .array(
          fc.tuple(fc.nat(), fc.oneof(valueFor, fc.constantFrom(3, 5, 12, 28, 1e9, "cosine"))),
          { maxLength: 3 },
        )
        .map(mutate),
      fc.jsonValue(),
    );
    fuzz(t, "validateDiffusionConfig", arb, (j) => {
      const c = userErrorOr(() => validateDiffusionConfig(j, "d/config.json"), "d/config.json");
      if (!c) return;
      for (const ch of c.unet.channels) assert.equal(ch % c.unet.groups, 0);
      if (c.unet.attention) assert.equal(c.unet.channels[1] % c.unet.attention, 0);
      assert.equal(c.text.dim % c.text.heads, 0);
      assert.equal(c.text.outDim, c.unet.condDim);
      assert.equal(c.vocab.length, c.text.vocabSize);
      assert.equal(c.imageSize % 4, 0);
    });
  });
});
