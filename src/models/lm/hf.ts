/**
 * Model directories in Hugging Face layout, read and written:
 * `config.json`, `model.safetensors` (or sharded with
 * `model.safetensors.index.json`; F32/F16/BF16/F64 on load, F32 on save, with
 * `{"format": "pt"}` metadata as transformers expects) and
 * `generation_config.json`. The tokenizer files are handled by tokenizer.ts.
 */
import { writeJsonAtomic } from "../../engine/atomic.js";
import { UserError } from "../../engine/errors.js";
import { assertFinite } from "../../engine/finite.js";
import { nodeBuiltin } from "../../engine/node-builtins.js";
import { type HostTensor, readSafetensors } from "../../engine/safetensors.js";
import { writeSafetensorsStreaming } from "../../engine/safetensors-stream.js";
import { configFromHF, configToHF, type LMConfig } from "./config.js";
import { type F32Tensor, hfTensorReaders, paramsFromHF } from "./hf-tensors.js";
import type { LMParams } from "./params.js";

// Node built-ins at call time, so the module also loads in a browser (engine/node-builtins.ts)
const join = (...parts: string[]) => nodeBuiltin("path").join(...parts);
const existsSync = (path: string) => nodeBuiltin("fs").existsSync(path);
const readFileSync = (path: string, enc: "utf8") => nodeBuiltin("fs").readFileSync(path, enc);

function readJson(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new UserError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new UserError(`${path}: invalid JSON: ${(err as Error).message}`);
  }
}

/** Reads and parses dir/config.json. */
export function loadConfig(dir: string): LMConfig {
  const path = join(dir, "config.json");
  if (!existsSync(path)) throw new UserError(`${path}: missing (not a model directory?)`);
  return configFromHF(readJson(path), path);
}

/** A float tensor as float32 (F16/BF16 arrive decoded); throws naming `file` and `name` otherwise or if non-finite. */
export function toF32(t: HostTensor, file: string, name: string): F32Tensor {
  const out = (data: Float32Array): F32Tensor => {
    assertFinite(data, `${file}: tensor "${name}"`);
    return { shape: t.shape, data };
  };
  if (t.dtype === "F32") return out(t.data as Float32Array);
  if (t.dtype === "F64") return out(Float32Array.from(t.data as Float64Array));
  throw new UserError(
    `${file}: tensor "${name}" has dtype ${t.dtype}, expected a float (F32, F16, BF16)`,
  );
}

/** All weight tensors of a directory, as float32, and the file(s) they came from. */
export function readWeights(dir: string): { tensors: Record<string, F32Tensor>; file: string } {
  const single = join(dir, "model.safetensors");
  const index = join(dir, "model.safetensors.index.json");
  const tensors: Record<string, F32Tensor> = {};
  if (existsSync(single)) {
    const f = readSafetensors(single);
    for (const [k, t] of Object.entries(f.tensors)) tensors[k] = toF32(t, single, k);
    return { tensors, file: single };
  }
  if (existsSync(index)) {
    const map = readJson(index).weight_map as Record<string, string> | undefined;
    if (!map || typeof map !== "object")
      throw new UserError(`${index}: field "weight_map": missing`);
    for (const shard of new Set(Object.values(map))) {
      const p = join(dir, shard);
      const f = readSafetensors(p);
      for (const [k, t] of Object.entries(f.tensors)) tensors[k] = toF32(t, p, k);
    }
    return { tensors, file: index };
  }
  const bin = join(dir, "pytorch_model.bin");
  if (existsSync(bin)) {
    throw new UserError(
      `${bin}: PyTorch pickles are not read; convert the checkpoint to model.safetensors`,
    );
  }
  throw new UserError(
    `${single}: missing (expected model.safetensors or model.safetensors.index.json)`,
  );
}

/** Loads config and params from a Hugging Face model directory. */
export function loadPretrained(dir: string): { config: LMConfig; params: LMParams } {
  const config = loadConfig(dir);
  const { tensors, file } = readWeights(dir);
  return { config, params: paramsFromHF(config, tensors, file) };
}

/**
 * Writes config.json, model.safetensors (float32, transformers names, tied
 * head omitted) and generation_config.json into `dir`. Does not consume `params`.
 */
export async function savePretrained(
  dir: string,
  config: LMConfig,
  params: LMParams,
): Promise<void> {
  // one tensor on the host at a time (the whole model at once doubled a save's memory)
  await writeSafetensorsStreaming(
    join(dir, "model.safetensors"),
    hfTensorReaders(config, params).map((t) => ({ ...t, dtype: "F32" as const })),
    { format: "pt" },
  );
  writeJsonAtomic(join(dir, "config.json"), configToHF(config));
  const gen: Record<string, unknown> = { _from_model_config: true };
  if (config.bosTokenId !== undefined) gen.bos_token_id = config.bosTokenId;
  if (config.eosTokenId !== undefined) gen.eos_token_id = config.eosTokenId;
  if (config.padTokenId !== undefined) gen.pad_token_id = config.padTokenId;
  writeJsonAtomic(join(dir, "generation_config.json"), gen);
}
