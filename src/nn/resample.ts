/**
 * Resampling of NHWC feature maps for a UNet: 2×2 average pooling
 * (y[i,j] = mean of x[2i..2i+1, 2j..2j+1]) and nearest-neighbour 2×
 * upsampling (y[i,j] = x[⌊i/2⌋, ⌊j/2⌋]). Both consume their input.
 */
import { numpy as np } from "../engine/jax.js";

/** [B,H,W,C] → [B,H/2,W/2,C]; H and W must be even. */
export function avgPool2x(x: np.Array): np.Array {
  const [B, H, W, C] = x.shape;
  if (H % 2 !== 0 || W % 2 !== 0) throw new Error(`avgPool2x: odd size ${H}×${W}`);
  return np.mean(x.reshape([B, H / 2, 2, W / 2, 2, C]), [2, 4]);
}

/** [B,H,W,C] → [B,2H,2W,C]. */
export function upsampleNearest2x(x: np.Array): np.Array {
  const [B, H, W, C] = x.shape;
  const y = np.broadcastTo(x.reshape([B, H, 1, W, 1, C]), [B, H, 2, W, 2, C]);
  return y.reshape([B, 2 * H, 2 * W, C]);
}
