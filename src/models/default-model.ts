/**
 * The model directories bundled with prefopt (repo root `models/`), built
 * reproducibly by prefopt's own commands. One line per kind.
 */
import { UserError } from "../engine/errors.js";
import { nodeBuiltin } from "../engine/node-builtins.js";

const BUNDLED: Record<string, string> = {
  /** tiny GPT-2 pretrained on the movie-review corpus by `prefopt pretrain` */
  text: "text-base",
  /** text-to-digit diffusion model (UNet + text encoder) trained by `prefopt diffusion train` */
  image: "image-base",
  /** MNIST digit classifier trained by `prefopt diffusion classifier` (judge and detector) */
  "digit-classifier": "digit-classifier",
};

/** Absolute path of the bundled model of `kind` (e.g. "text"). */
export function defaultModelDir(kind: string): string {
  const name = BUNDLED[kind];
  if (!name) {
    throw new UserError(
      `defaultModelDir: unknown kind "${kind}", expected one of ${Object.keys(BUNDLED).join(", ")}`,
    );
  }
  return nodeBuiltin("url").fileURLToPath(new URL(`../../models/${name}`, import.meta.url));
}
