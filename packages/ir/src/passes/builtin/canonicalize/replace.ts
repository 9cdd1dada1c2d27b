// Small rewrite helpers shared by the canonicalization patterns.
import type { Op, TensorType, Value } from '../../../core/index.js';
import { OpBuilder } from '../../../dialects/index.js';
import type { PatternContext } from './pattern.js';

/** A builder that inserts before `op` (so the new op's operands are already defined). */
export function builderBefore(cx: PatternContext, op: Op): OpBuilder {
  return new OpBuilder(cx.func).setInsertionPointBefore(op);
}

/** rewriter.replaceOp(op, value): every use of op's result takes `value`; op is erased. */
export function replaceWith(op: Op, value: Value): void {
  op.result().replaceAllUsesWith(value);
  op.erase();
}

/** op's single result type, as replaceOpWithNewOp passes it to the new op. */
export function resultType(op: Op): TensorType {
  return op.result().type as TensorType;
}

/** numpy-style broadcast of two shapes, or undefined when they do not broadcast. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | undefined {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Elementwise `fn` of two broadcast float32 arrays (binary_mul / binary_add of MathUtils). */
export function broadcastBinary(
  a: Float32Array, as: readonly number[], b: Float32Array, bs: readonly number[], fn: (x: number, y: number) => number,
): { data: Float32Array; shape: number[] } | undefined {
  const shape = broadcastShape(as, bs);
  if (!shape) return undefined;
  const n = shape.reduce((p, d) => p * d, 1);
  const data = new Float32Array(n);
  const ia = stridesFor(as, shape);
  const ib = stridesFor(bs, shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < n; k++) {
    let oa = 0;
    let ob = 0;
    for (let d = 0; d < shape.length; d++) {
      oa += idx[d]! * ia[d]!;
      ob += idx[d]! * ib[d]!;
    }
    data[k] = fn(a[oa]!, b[ob]!);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return { data, shape };
}

/** Strides of `s` read at the coordinates of the broadcast `out` shape (0 on broadcast axes). */
function stridesFor(s: readonly number[], out: readonly number[]): number[] {
  const r = new Array<number>(out.length).fill(0);
  let stride = 1;
  for (let i = s.length - 1; i >= 0; i--) {
    const o = out.length - s.length + i;
    r[o] = s[i] === 1 ? 0 : stride;
    stride *= s[i]!;
  }
  return r;
}
