// A Slice whose output is one contiguous run of its input's bytes takes no memory of its own: its
// address is the input's plus the run's offset (spec deploy.md §6.1 item 4). Upstream decides it
// from the op alone — `SliceOp::parseParam`'s `fusible` (every step 1, exactly one axis cut, and
// every input dim before that axis 1; never on the BM1684 family) — and BMAddressAssign places it
// at `input + offset · dtype bytes · (input dims after the axis)`. Our lowering marks nothing, so
// the planner computes the same from the attributes and shapes. Conservative where upstream's
// 4-dim reduction would read odd attributes: dynamic offsets/ends/steps operands, attributes that
// do not map onto the input dims, sub-byte elements, and another axis with a non-zero offset keep
// the copy.
import { isTensor, type Op } from '@tpu-quant/ir';
import { elementBits } from './gmem-bytes.js';

function ints(op: Op, name: string): number[] | undefined {
  const a = op.attr(name);
  return a?.kind === 'array' ? a.value.map((x) => (x.kind === 'int' ? Number(x.value) : NaN)) : undefined;
}

/**
 * Offsets and steps per input dim. Ours may give them per axis (`axes`, as the Gather lowering
 * and top.Slice do); upstream's tpu.Slice always has one per dim, which is what this expands to.
 */
function perDim(op: Op, rank: number): { offset: number[]; steps: number[] } | undefined {
  const offset = ints(op, 'offset');
  const steps = ints(op, 'steps');
  const axes = ints(op, 'axes') ?? [];
  if (!offset || !steps || offset.length !== steps.length || [...offset, ...steps, ...axes].some((x) => !Number.isSafeInteger(x))) return undefined;
  if (axes.length === 0) return offset.length === rank ? { offset, steps } : undefined;
  if (axes.length !== offset.length) return undefined;
  const o = new Array<number>(rank).fill(0);
  const st = new Array<number>(rank).fill(1);
  const seen = new Set<number>();
  for (const [k, a] of axes.entries()) {
    const d = a < 0 ? a + rank : a;
    if (!(d >= 0 && d < rank) || seen.has(d)) return undefined;
    seen.add(d);
    o[d] = offset[k]!;
    st[d] = steps[k]!;
  }
  return { offset: o, steps: st };
}

/**
 * Byte offset of a fusible Slice's output inside its input; undefined when it is a real copy.
 * top.Slice counts too: a float lowering leaves it standing for upstream's tpu.Slice.
 */
export function fusibleSliceOffset(op: Op): number | undefined {
  if ((op.type !== 'tpu.Slice' && op.type !== 'top.Slice') || op.operands.length === 0) return undefined;
  if (op.operands.slice(1).some((v) => v.producer?.type !== 'top.None')) return undefined;
  const a = op.operand(0).type;
  const b = op.result(0).type;
  if (!isTensor(a) || !isTensor(b)) return undefined;
  const bits = elementBits(a);
  if (bits % 8 !== 0 || elementBits(b) !== bits) return undefined;
  const is = a.shape;
  const os = [...Array<number>(Math.max(0, is.length - b.shape.length)).fill(1), ...b.shape];
  const per = perDim(op, is.length);
  if (!per || os.length !== is.length) return undefined;
  const { offset, steps } = per;
  if (steps.some((s) => s !== 1)) return undefined;
  const cut = is.flatMap((d, i) => (d !== os[i] ? [i] : []));
  if (cut.length !== 1) return undefined;
  const axis = cut[0]!;
  if (is.slice(0, axis).some((d) => d !== 1)) return undefined;
  const norm = offset.map((o, i) => (o < 0 ? o + is[i]! : o));
  if (norm.some((o, i) => i !== axis && o !== 0)) return undefined;
  const inner = is.slice(axis + 1).reduce((p, d) => p * d, 1);
  return norm[axis]! * inner * (bits / 8);
}
