// Concat without a copy (spec deploy.md §6.1 step 4): a tpu.Concat marked `only_merge` whose
// inputs can be written straight into their slices of the output. That needs the concat axis to
// be the outermost non-1 axis (each input's slice is then one contiguous run of bytes, at the
// byte size of the inputs before it), and inputs that own a plain buffer of their own: produced
// by a computing op (not a graph input, weight or in-place result), read by no in-place op,
// not returned, given once, and merged into no other Concat. Anything else keeps its copy.
import { isTensor, type Func, type Op, type Value } from '@tpu-quant/ir';
import { elementBits, gmemBytes } from './gmem-bytes.js';

export interface MergedInput {
  readonly concat: Value;
  /** Byte offset of this input's slice in the concat output. */
  readonly offset: number;
}

function axisOf(op: Op, rank: number): number | undefined {
  const a = op.attr('axis');
  if (a?.kind !== 'int') return undefined;
  const axis = Number(a.value);
  return axis < 0 ? axis + rank : axis;
}

function mergeable(op: Op, claimed: ReadonlyMap<Value, MergedInput>, outputs: ReadonlySet<Value>, isInPlace: (op: Op) => boolean, batch4N: boolean, pinned: ReadonlySet<Value>): boolean {
  const a = op.attr('only_merge');
  if (a?.kind !== 'bool' || !a.value) return false;
  const out = op.result(0);
  if (pinned.has(out)) return false; // an IO tensor moved to a tag / relocated keeps a plain buffer
  const t = out.type;
  if (!isTensor(t) || (batch4N && elementBits(t) === 8)) return false; // 4N interleaves batches
  const axis = axisOf(op, t.shape.length);
  if (axis === undefined || axis < 0 || axis >= t.shape.length || t.shape.slice(0, axis).some((d) => d !== 1)) return false;
  if (new Set(op.operands).size !== op.operands.length) return false;
  let bytes = 0;
  for (const v of op.operands) {
    const p = v.producer;
    if (!p || p.type === 'top.Input' || p.type === 'top.Weight' || p.type === 'top.None' || isInPlace(p)) return false;
    if (claimed.has(v) || outputs.has(v) || v.uses.some((u) => isInPlace(u.op))) return false;
    if (!isTensor(v.type) || elementBits(v.type) !== elementBits(t)) return false;
    bytes += gmemBytes(v.type);
  }
  return bytes === gmemBytes(t);
}

/** Inputs of mergeable Concats → where they sit in the output. */
export function findMergedConcats(f: Func, isInPlace: (op: Op) => boolean, batch4N: boolean, pinned: ReadonlySet<Value> = new Set()): Map<Value, MergedInput> {
  const merged = new Map<Value, MergedInput>();
  const outputs = new Set(f.outputs);
  for (const op of f.ops) {
    if (op.type !== 'tpu.Concat' || !mergeable(op, merged, outputs, isInPlace, batch4N, pinned)) continue;
    let offset = 0;
    for (const v of op.operands) {
      merged.set(v, { concat: op.result(0), offset });
      offset += gmemBytes(v.type);
    }
  }
  return merged;
}
