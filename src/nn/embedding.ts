/**
 * Embedding lookup: out[..., :] = table[ids[...], :] for integer `ids`.
 * Consumes its arguments.
 */
import { numpy as np } from "../engine/jax.js";

export function embedding(table: np.Array, ids: np.Array): np.Array {
  return np.take(table, ids, 0);
}
