/**
 * Validation of a diffusion model's config.json before any array is built:
 * every size a positive integer, GroupNorm groups dividing both channel
 * counts, attention heads dividing the text width, the text encoder's output
 * width equal to the UNet's conditioning width, a vocabulary of strings of
 * the declared size, a known noise schedule. Errors name the file and field.
 */
import { UserError } from "../../engine/errors.js";
import type { DiffusionConfig } from "./model.js";

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/** Returns `j` typed as a DiffusionConfig, or throws UserError "<file>: field "<path>": expected ...". */
export function validateDiffusionConfig(j: unknown, file: string): DiffusionConfig {
  const bad = (field: string, expected: string, got: unknown): never => {
    throw new UserError(
      `${file}: field "${field}": expected ${expected}, got ${JSON.stringify(got) ?? String(got)}`,
    );
  };
  if (!isObject(j))
    bad("(root)", 'a JSON object with "modelType", "unet", "text", "vocab", "schedule"', j);
  const c = j as Json;
  const posInt = (v: unknown, field: string, max = 1 << 20): number => {
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1 || v > max)
      bad(field, `an integer in [1, ${max}]`, v);
    return v as number;
  };
  const obj = (v: unknown, field: string): Json => (isObject(v) ? v : bad(field, "an object", v));
  const size = posInt(c.imageSize, "imageSize", 4096);
  if (size % 4 !== 0) bad("imageSize", "a multiple of 4 (two 2× downsamplings)", size);
  const unet = obj(c.unet, "unet");
  if (!Array.isArray(unet.channels) || unet.channels.length !== 2)
    bad("unet.channels", "two channel counts [c1, c2]", unet.channels);
  const ch = (unet.channels as unknown[]).map((v, i) => posInt(v, `unet.channels[${i}]`, 4096));
  const condDim = posInt(unet.condDim, "unet.condDim", 4096);
  const groups = posInt(unet.groups, "unet.groups", 4096);
  for (const [i, v] of ch.entries())
    if (v % groups !== 0) bad(`unet.channels[${i}]`, `a multiple of unet.groups (${groups})`, v);
  if (unet.attention !== undefined && unet.attention !== 0) {
    const heads = posInt(unet.attention, "unet.attention", 256);
    if (ch[1] % heads !== 0)
      bad("unet.attention", `a divisor of unet.channels[1] (${ch[1]})`, heads);
  }
  const text = obj(c.text, "text");
  const vocabSize = posInt(text.vocabSize, "text.vocabSize");
  posInt(text.maxLen, "text.maxLen", 4096);
  const dim = posInt(text.dim, "text.dim", 4096);
  posInt(text.layers, "text.layers", 256);
  const heads = posInt(text.heads, "text.heads", 256);
  if (dim % heads !== 0) bad("text.dim", `a multiple of text.heads (${heads})`, dim);
  const outDim = posInt(text.outDim, "text.outDim", 4096);
  if (outDim !== condDim) bad("text.outDim", `unet.condDim (${condDim})`, outDim);
  if (!Array.isArray(c.vocab) || !c.vocab.every((w) => typeof w === "string"))
    bad("vocab", "a list of strings", c.vocab);
  if ((c.vocab as string[]).length !== vocabSize)
    bad("vocab", `${vocabSize} words (text.vocabSize)`, `${(c.vocab as string[]).length} words`);
  const schedule = obj(c.schedule, "schedule");
  if (schedule.kind !== "linear" && schedule.kind !== "cosine")
    bad("schedule.kind", '"linear" or "cosine"', schedule.kind);
  posInt(schedule.T, "schedule.T", 100_000);
  return c as unknown as DiffusionConfig;
}
