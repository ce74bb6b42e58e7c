/**
 * Min-SNR-γ loss weighting (Hang et al., 2023, "Efficient Diffusion Training
 * via Min-SNR Weighting Strategy"). With SNR(t) = ᾱ_t / (1 − ᾱ_t), the
 * ε-prediction loss ‖ε − ε_θ‖² equals SNR(t)·‖x_0 − x̂_0‖², so it spends most
 * of its weight on nearly clean images. Weighting each example by
 *   w(t) = min(SNR(t), γ) / SNR(t)
 * caps the effective x_0-weight at γ: low-noise steps (fine texture) stop
 * dominating the gradient, and the high-noise steps that decide a digit's
 * global shape get a fair share. γ = 5 is the paper's default; γ = ∞ (or
 * `Infinity`) gives w = 1, the plain ε loss.
 */

/** SNR(t) = ᾱ / (1 − ᾱ) for a cumulative signal level ᾱ ∈ (0, 1). */
export function snr(alphaBar: number): number {
  return alphaBar / (1 - alphaBar);
}

/** Per-example weights min(SNR, γ)/SNR for the ε-prediction loss. */
export function minSnrWeights(
  alphaBars: ArrayLike<number>,
  gamma: number,
): Float32Array<ArrayBuffer> {
  const w = new Float32Array(alphaBars.length);
  for (let i = 0; i < w.length; i++) {
    const s = snr(alphaBars[i]);
    w[i] = Math.min(s, gamma) / s;
  }
  return w;
}
