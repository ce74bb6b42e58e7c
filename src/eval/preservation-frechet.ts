/**
 * Fréchet distance between two sets of feature vectors, each fitted with a
 * Gaussian (FID's formula, Heusel et al. 2017):
 *   d² = ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^{1/2}),
 * with Tr (Σ₁Σ₂)^{1/2} = Σ √λᵢ(√Σ₁ Σ₂ √Σ₁) (a symmetric PSD matrix, so its
 * eigenvalues come from a Jacobi sweep in float64). Covariances are unbiased.
 */

/** Mean [d] and covariance [d×d] (row-major) of n vectors (n × d). */
export function meanCov(
  x: ArrayLike<number>,
  n: number,
  d: number,
): { mu: Float64Array; cov: Float64Array } {
  const mu = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mu[j] += x[i * d + j] / n;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      const da = x[i * d + a] - mu[a];
      if (da === 0) continue;
      for (let b = a; b < d; b++) cov[a * d + b] += da * (x[i * d + b] - mu[b]);
    }
  }
  const div = Math.max(1, n - 1);
  for (let a = 0; a < d; a++)
    for (let b = a; b < d; b++) {
      cov[a * d + b] /= div;
      cov[b * d + a] = cov[a * d + b];
    }
  return { mu, cov };
}

/** Eigen-decomposition of a symmetric d×d matrix (cyclic Jacobi): values and column eigenvectors. */
export function symmetricEigen(
  m: Float64Array,
  d: number,
): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(m);
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += a[p * d + q] ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * d + q] - a[p * d + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = a[k * d + p];
          const akq = a[k * d + q];
          a[k * d + p] = c * akp - s * akq;
          a[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = a[p * d + k];
          const aqk = a[q * d + k];
          a[p * d + k] = c * apk - s * aqk;
          a[q * d + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = v[k * d + p];
          const vkq = v[k * d + q];
          v[k * d + p] = c * vkp - s * vkq;
          v[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(d);
  for (let i = 0; i < d; i++) values[i] = a[i * d + i];
  return { values, vectors: v };
}

/** √M of a symmetric PSD matrix (negative eigenvalues from rounding are clamped to 0). */
export function sqrtPsd(m: Float64Array, d: number): Float64Array {
  const { values, vectors } = symmetricEigen(m, d);
  const out = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    const s = Math.sqrt(Math.max(0, values[k]));
    if (s === 0) continue;
    for (let i = 0; i < d; i++) {
      const vi = vectors[i * d + k] * s;
      for (let j = 0; j < d; j++) out[i * d + j] += vi * vectors[j * d + k];
    }
  }
  return out;
}

function matmul(a: Float64Array, b: Float64Array, d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let k = 0; k < d; k++) {
      const aik = a[i * d + k];
      if (aik === 0) continue;
      for (let j = 0; j < d; j++) out[i * d + j] += aik * b[k * d + j];
    }
  return out;
}

/** Fréchet distance d² between Gaussians (μ₁, Σ₁) and (μ₂, Σ₂) in d dimensions. */
export function frechetFromStats(
  a: { mu: Float64Array; cov: Float64Array },
  b: { mu: Float64Array; cov: Float64Array },
  d: number,
): number {
  let mean = 0;
  for (let i = 0; i < d; i++) mean += (a.mu[i] - b.mu[i]) ** 2;
  const s1 = sqrtPsd(a.cov, d);
  const inner = matmul(matmul(s1, b.cov, d), s1, d);
  for (let i = 0; i < d; i++)
    for (let j = i + 1; j < d; j++) {
      const avg = (inner[i * d + j] + inner[j * d + i]) / 2;
      inner[i * d + j] = avg;
      inner[j * d + i] = avg;
    }
  const { values } = symmetricEigen(inner, d);
  let trSqrt = 0;
  for (const v of values) trSqrt += Math.sqrt(Math.max(0, v));
  let tr = 0;
  for (let i = 0; i < d; i++) tr += a.cov[i * d + i] + b.cov[i * d + i];
  return mean + tr - 2 * trSqrt;
}

/** Fréchet distance between feature sets x (n × d) and y (m × d). */
export function frechetDistance(
  x: ArrayLike<number>,
  n: number,
  y: ArrayLike<number>,
  m: number,
  d: number,
): number {
  return frechetFromStats(meanCov(x, n, d), meanCov(y, m, d), d);
}
