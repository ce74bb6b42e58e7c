/**
 * Pytree helpers: a model's parameters, gradients and optimiser state are
 * nested plain objects/arrays whose leaves are engine arrays. Ownership
 * follows the engine: `refTree` adds a reference to every leaf, `disposeTree`
 * drops one.
 */
import { type JsTree, numpy as np, tree } from "./jax.js";

export type Params = JsTree<np.Array>;

/** Adds one reference to every leaf and returns the same tree (like `x.ref`). */
export function refTree<T extends JsTree<np.Array>>(t: T): T {
  return tree.ref(t) as T;
}

/** Drops one reference from every leaf. */
export function disposeTree(t: JsTree<np.Array>): void {
  tree.dispose(t);
}

/** Maps leaves (consuming them as `f` does). */
export function mapTree<T extends JsTree<np.Array>>(t: T, f: (x: np.Array) => np.Array): T {
  return tree.map(f, t) as T;
}

/**
 * Flattens a tree to dotted names ("h.0.attn.c_attn.weight"), the naming of
 * Hugging Face state dicts and safetensors files. Leaves are not consumed.
 */
export function flattenNamed(t: unknown, prefix = ""): Record<string, np.Array> {
  const out: Record<string, np.Array> = {};
  const walk = (node: unknown, path: string) => {
    if (node instanceof np.Array) {
      out[path] = node;
    } else if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) walk(node[i], path ? `${path}.${i}` : String(i));
    } else if (node !== null && typeof node === "object") {
      for (const [k, v] of Object.entries(node)) walk(v, path ? `${path}.${k}` : k);
    } else if (node !== undefined && node !== null) {
      throw new Error(`flattenNamed: leaf ${path} is not an engine array`);
    }
  };
  walk(t, prefix);
  return out;
}

/** Total number of scalar entries of all leaves. */
export function countParams(t: unknown): number {
  return Object.values(flattenNamed(t)).reduce((n, a) => n + a.size, 0);
}
