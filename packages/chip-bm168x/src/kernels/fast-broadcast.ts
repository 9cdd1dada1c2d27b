// numpy broadcasting for the fast tpu kernels (fast-int8.ts, fast-movement.ts): an operand read as
// a full array of the result's shape, without per-element index math where the operand varies
// along one run of axes only (a per-channel [1, C, 1, 1] or a scalar: filled block by block).
import { shapeSize, type NdArray } from '@tpu-quant/ir';
import { broadcastIndex } from './add.js';

// one scratch array per operand position, reused across calls (kernels run one at a time per thread)
const scratch: Float32Array[] = [];

function scratchOf(slot: number, n: number): Float32Array {
  let s = scratch[slot];
  if (!s || s.length < n) scratch[slot] = s = new Float32Array(n);
  return s.subarray(0, n);
}

/**
 * `x` broadcast to `shape`: its own data when the sizes agree (then the shapes do too, up to
 * leading 1s), else a scratch array (`slot`: the operand's index, so two operands never share one)
 * valid until the next call with that slot.
 */
export function expandTo(x: NdArray, shape: readonly number[], slot: number): Float32Array {
  const d = x.data as Float32Array;
  const n = shapeSize(shape);
  if (d.length === n) return d;
  const r = shape.length;
  const pad = r - x.shape.length;
  const dim = (i: number): number => (i < pad ? 1 : x.shape[i - pad]!);
  let first = -1;
  let last = -1;
  for (let i = 0; i < r; i++) {
    if (dim(i) !== 1) {
      if (first < 0) first = i;
      last = i;
    }
  }
  const out = scratchOf(slot, n);
  let contiguous = true;
  for (let i = first; first >= 0 && i <= last; i++) if (dim(i) !== shape[i]) contiguous = false;
  if (!contiguous) {
    const idx = broadcastIndex(x.shape, shape)!;
    for (let k = 0; k < n; k++) out[k] = d[idx[k]!]!;
    return out;
  }
  if (first < 0) {
    out.fill(d[0]!);
    return out;
  }
  const inner = shapeSize(shape.slice(last + 1));
  const mid = d.length;
  for (let at = 0, j = 0; at < n; at += inner, j = j + 1 === mid ? 0 : j + 1) out.fill(d[j]!, at, at + inner);
  return out;
}
