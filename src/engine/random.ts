/**
 * Random keys: the engine's splittable PRNG (JAX's threefry model), plus a
 * small seeded host-side generator for data order and sampling decisions
 * that never touch the engine. Both are reproducible from a seed, and the
 * host generator's state is a plain number so checkpoints can save it.
 */
import { type numpy as np, random } from "./jax.js";

export function makeKey(seed: number): np.Array {
  return random.key(seed);
}

/** Splits a key into `n` fresh keys (consumes `key`). */
export function splitKey(key: np.Array, n = 2): np.Array[] {
  const ks = random.split(key, n);
  const out: np.Array[] = [];
  for (let i = 0; i < n; i++) out.push(ks.ref.slice(i));
  ks.dispose();
  return out;
}

/** Mulberry32: a fast 32-bit host PRNG whose whole state is `state`. */
export class HostRng {
  state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = Math.max(this.next(), 1e-12);
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  /** Picks one element uniformly. */
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  /** Fisher–Yates shuffle of a copy. */
  shuffle<T>(xs: readonly T[]): T[] {
    const a = xs.slice();
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  }
  /** Index drawn from unnormalised non-negative weights. */
  categorical(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) total += weights[i];
    let u = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      u -= weights[i];
      if (u < 0) return i;
    }
    return weights.length - 1;
  }
}
