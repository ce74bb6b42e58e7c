/**
 * A model directory in Hugging Face layout as file contents rather than
 * paths — config.json, model.safetensors, tokenizer.json and (optionally)
 * tokenizer_config.json — fetched from a base URL (a browser page, or any
 * HTTP server) and turned into config, params and tokenizer. Nothing here
 * touches a file system, so it runs in browsers and in Node alike.
 */
import { UserError } from "../../engine/errors.js";
import { decodeSafetensors } from "../../engine/safetensors.js";
import { configFromHF, type LMConfig } from "./config.js";
import { toF32 } from "./hf.js";
import { type F32Tensor, paramsFromHF } from "./hf-tensors.js";
import type { LMParams } from "./params.js";
import { LMTokenizer } from "./tokenizer.js";

type Json = Record<string, unknown>;

export type ModelFiles = {
  /** config.json, parsed */
  config: Json;
  /** model.safetensors, the raw bytes */
  weights: ArrayBuffer | Uint8Array;
  /** tokenizer.json, parsed */
  tokenizer: Json;
  /** tokenizer_config.json, parsed ({} when the model has none) */
  tokenizerConfig?: Json;
  /** where the files came from, for error messages (a URL or directory) */
  source?: string;
};

/** base + "/" + name, for URLs given with or without a trailing slash. */
function fileUrl(base: string | URL, name: string): string {
  const b = String(base);
  return new URL(name, b.endsWith("/") ? b : `${b}/`).href;
}

async function fetchOk(
  url: string,
  fetchFn: typeof fetch,
  optional = false,
): Promise<Response | null> {
  let res: Response;
  try {
    res = await fetchFn(url);
  } catch (err) {
    throw new UserError(`${url}: cannot fetch (${(err as Error).message})`);
  }
  if (res.ok) return res;
  if (optional && res.status === 404) return null;
  throw new UserError(`${url}: HTTP ${res.status} ${res.statusText}`.trim());
}

async function fetchJson(
  url: string,
  fetchFn: typeof fetch,
  optional = false,
): Promise<Json | null> {
  const res = await fetchOk(url, fetchFn, optional);
  if (!res) return null;
  try {
    return (await res.json()) as Json;
  } catch (err) {
    throw new UserError(`${url}: invalid JSON: ${(err as Error).message}`);
  }
}

/** Fetches a model directory's files from `base` (e.g. "/models/text-base/" or an https URL). */
export async function fetchModelFiles(
  base: string | URL,
  fetchFn: typeof fetch = globalThis.fetch,
): Promise<ModelFiles> {
  const url = (name: string) => fileUrl(base, name);
  const [config, weights, tokenizer, tokenizerConfig] = await Promise.all([
    fetchJson(url("config.json"), fetchFn) as Promise<Json>,
    fetchOk(url("model.safetensors"), fetchFn).then((r) => (r as Response).arrayBuffer()),
    fetchJson(url("tokenizer.json"), fetchFn) as Promise<Json>,
    fetchJson(url("tokenizer_config.json"), fetchFn, true),
  ]);
  return {
    config,
    weights,
    tokenizer,
    tokenizerConfig: tokenizerConfig ?? {},
    source: String(base),
  };
}

/** Config, params (engine arrays) and tokenizer from a model's file contents. */
export function modelFromFiles(f: ModelFiles): {
  config: LMConfig;
  params: LMParams;
  tokenizer: LMTokenizer;
} {
  const at = (name: string) => (f.source ? fileUrl(f.source, name) : name);
  const config = configFromHF(f.config, at("config.json"));
  const bytes = f.weights instanceof Uint8Array ? f.weights : new Uint8Array(f.weights);
  const file = at("model.safetensors");
  const decoded = decodeSafetensors(bytes, file);
  const tensors: Record<string, F32Tensor> = {};
  for (const [k, t] of Object.entries(decoded.tensors)) tensors[k] = toF32(t, file, k);
  const tokenizer = new LMTokenizer(f.tokenizer, f.tokenizerConfig ?? {}, at("tokenizer.json"));
  return { config, params: paramsFromHF(config, tensors, file), tokenizer };
}
