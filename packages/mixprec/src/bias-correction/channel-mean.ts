// Per-channel means of an activation (channel = axis 1), over every other axis: TPU-MLIR's
// np.mean(x, axis=(0, 2, 3)) for NCHW, generalised to any rank >= 2 (Conv1d N,C,L; Conv3d
// N,C,D,H,W) instead of failing on them.
import type { NdArray } from '@tpu-quant/ir';

export function channelMeans(a: NdArray): Float64Array {
  if (a.shape.length < 2) throw new RangeError(`channelMeans: a tensor of rank ${a.shape.length} has no channel axis`);
  const [n, c] = [a.shape[0]!, a.shape[1]!];
  const inner = a.shape.slice(2).reduce((p, q) => p * q, 1);
  const data = a.data as ArrayLike<number>;
  const out = new Float64Array(c);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (b * c + ch) * inner;
      let s = 0;
      for (let i = 0; i < inner; i++) s += data[base + i]!;
      out[ch]! += s;
    }
  }
  const count = n * inner;
  for (let ch = 0; ch < c; ch++) out[ch]! /= count;
  return out;
}
