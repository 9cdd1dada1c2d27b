// MatMul's shape, by TPU-MLIR's rules (lib/Dialect/Top/Interfaces/MatMul.cpp):
//   [5, 6] × [6, 7] = [5, 7]                 [3, 4, 5, 6] × [3, 4, 6, 7] = [3, 4, 5, 7]
//   [4, 5, 6] × [6, 7] = [4, 5, 7]           [4, 5, 6] × [6] = [4, 5]
//   [1, 512, 7, 7] × [25088, 4096] = [1, 4096]   (a 2-D right side flattens the left's tail to K)
//   [3] × [3, 256] = [1, 256]                keep_dims = false: [4, 5, 6] × [6, 7] = [20, 7]
// Batch dims broadcast. right_transpose reads the right side as [..., N, K]. left_transpose,
// output_transpose and hdim_is_batch describe fused permutes of lowered graphs; top-level
// shape inference ignores them, as TPU-MLIR's does.
import type { ShapeContext } from '../../shape-context.js';
import { broadcastShapes, fmt, product } from '../../shape-context.js';

export function matMulShape(s: ShapeContext): number[] | undefined {
  const a = s.shape('input');
  const b = s.shape('right');
  if (!a || !b) return undefined;
  if (a.length === 0 || b.length === 0) s.fail('operands must have rank ≥ 1');
  const k = a[a.length - 1]!;
  const rt = s.bool('right_transpose');
  let out: number[];
  let n: number;
  if (b.length === 1) {
    if (rt) s.fail('right_transpose needs a right side of rank ≥ 2');
    if (b[0] !== k) s.fail(`K mismatch: ${fmt(a)} × ${fmt(b)}`);
    out = a.slice(0, -1);
    n = 1;
    if (out.length === 0) out = [1];
  } else {
    const kb = b[b.length - (rt ? 1 : 2)]!;
    n = b[b.length - (rt ? 2 : 1)]!;
    if (kb === k) {
      const batch = broadcastShapes(s, [a.slice(0, -2), b.slice(0, -2)]);
      const m = a.length >= 2 ? a[a.length - 2]! : 1;
      out = [...batch, m, n];
    } else if (b.length === 2) {
      out = flattenTail(s, a, kb, b);
      out.push(n);
    } else {
      return s.fail(`K mismatch: ${fmt(a)} × ${fmt(b)}${rt ? ' (right transposed)' : ''}`);
    }
  }
  if (!s.bool('keep_dims') && out.length > 2) out = [product(out.slice(0, -1)), out[out.length - 1]!];
  return out;
}

/** Drops trailing dims of `a` whose product is K ([1, 512, 7, 7] with K = 25088 → [1]). */
function flattenTail(s: ShapeContext, a: readonly number[], k: number, b: readonly number[]): number[] {
  const out = [...a];
  let rest = k;
  while (out.length > 0 && rest !== 1 && rest % out[out.length - 1]! === 0) rest /= out.pop()!;
  if (rest !== 1) s.fail(`K mismatch: ${fmt(a)} × ${fmt(b)}`);
  return out;
}
