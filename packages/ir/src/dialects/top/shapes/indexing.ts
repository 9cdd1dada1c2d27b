// Shapes of ops that select, join or split along axes: concat, split, slice, strided slice,
// gather, arg/topk/reduce.
import type { ShapeContext } from '../../shape-context.js';
import { fmt } from '../../shape-context.js';

export function concatShape(s: ShapeContext): number[] | undefined {
  const xs = s.shapesOf('inputs');
  if (!xs) return undefined;
  if (xs.length === 0) s.fail('needs at least one input');
  const first = xs[0]!;
  const axis = s.axis(s.int('axis'), first.length);
  const out = [...first];
  out[axis] = 0;
  for (const x of xs) {
    if (x.length !== first.length || x.some((d, i) => i !== axis && d !== first[i])) {
      s.fail(`inputs ${xs.map(fmt).join(', ')} differ outside axis ${axis}`);
    }
    out[axis]! += x[axis]!;
  }
  return out;
}

/** `num` pieces along `axis`: by `split_size`, else equal (the last one smaller when uneven). */
export function splitShapes(s: ShapeContext): number[][] | undefined {
  const x = s.shape('input');
  if (!x) return undefined;
  const axis = s.axis(s.int('axis'), x.length);
  const num = s.int('num');
  const dim = x[axis]!;
  let sizes = s.maybeInts('split_size');
  if (sizes) {
    if (sizes.length !== num) s.fail(`split_size ${fmt(sizes)} has ${sizes.length} entries, num is ${num}`);
    if (sizes.reduce((a, b) => a + b, 0) !== dim) s.fail(`split_size ${fmt(sizes)} does not add up to ${dim}`);
  } else {
    const each = Math.ceil(dim / num);
    sizes = Array.from({ length: num }, (_, i) => (i < num - 1 ? each : dim - each * (num - 1)));
    if (sizes.some((d) => d <= 0)) s.fail(`cannot split ${dim} into ${num} pieces`);
  }
  return sizes.map((d) => x.map((v, i) => (i === axis ? d : v)));
}

/** Python-slice length of [start, end) by step on a dim of size d (TPU-MLIR's clamping). */
function sliceLen(d: number, start: number, end: number, step: number): number {
  let b = start < 0 ? start + d : start;
  let e = end < 0 ? end + d : end;
  if (step > 0) {
    b = clamp(b, 0, d);
    e = clamp(e, 0, d);
  } else {
    b = clamp(b, 0, d - 1);
    e = clamp(e, -1, d - 1);
  }
  return Math.max(0, Math.ceil((e - b) / step));
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}

/**
 * Slice: offset/ends/steps list the leading axes, or the axes named in `axes`. Constant
 * offsetT/endsT/stepsT operands replace the attributes; non-constant ones make it unknown.
 */
export function sliceShape(s: ShapeContext): number[] | undefined {
  const x = s.shape('input');
  if (!x) return undefined;
  const lists: number[][] = [];
  for (const [attr, operand] of [['offset', 'offsetT'], ['ends', 'endsT'], ['steps', 'stepsT']] as const) {
    if (s.isNone(operand)) lists.push(s.ints(attr));
    else {
      const c = s.constant(operand);
      if (!c) return undefined;
      lists.push(c);
    }
  }
  const [offset, ends, steps] = lists as [number[], number[], number[]];
  const given = s.ints('axes');
  const axes = given.length > 0 ? given.map((a) => s.axis(a, x.length)) : offset.map((_, i) => i);
  if (offset.length !== axes.length || ends.length !== axes.length || steps.length !== axes.length) {
    s.fail(`offset/ends/steps have ${offset.length}/${ends.length}/${steps.length} entries for ${axes.length} axes`);
  }
  if (axes.some((a) => a >= x.length)) s.fail(`slices ${axes.length} axes of a rank-${x.length} input`);
  const out = [...x];
  axes.forEach((a, i) => {
    if (steps[i] === 0) s.fail('a step is 0');
    out[a] = sliceLen(x[a]!, offset[i]!, ends[i]!, steps[i]!);
  });
  return out;
}

/**
 * StridedSlice (TFLite): constant starts/ends/strides with begin/end/shrink-axis bit masks.
 * Ellipsis and new-axis masks are not supported (undefined).
 */
export function stridedSliceShape(s: ShapeContext): number[] | undefined {
  const x = s.shape('input');
  const starts = s.constant('starts');
  const ends = s.constant('ends');
  const strides = s.constant('strides');
  if (!x || !starts || !ends || !strides) return undefined;
  if (s.int('ellipsis_mask') !== 0 || s.int('new_axis_mask') !== 0) return undefined;
  const [bm, em, sm] = [s.int('begin_mask'), s.int('end_mask'), s.int('shrink_axis_mask')];
  const out: number[] = [];
  x.forEach((d, i) => {
    if (i >= starts.length) return void out.push(d);
    const step = strides[i]!;
    if (step === 0) s.fail('a stride is 0');
    if (sm & (1 << i)) return;
    const b = bm & (1 << i) ? (step > 0 ? 0 : d - 1) : starts[i]!;
    const len = em & (1 << i) ? sliceLen(d, b, step > 0 ? d : -d - 1, step) : sliceLen(d, b, ends[i]!, step);
    out.push(len);
  });
  return out.length === 0 ? [1] : out;
}

/**
 * Gather along `axis`: input[:axis] + indices + input[axis+1:]. A single index [1] with
 * keepdims = false drops the axis (TPU-MLIR keeps a rank-1 result as [1]).
 */
export function gatherShape(s: ShapeContext): number[] | undefined {
  const x = s.shape('input');
  const idx = s.shape('indices');
  if (!x || !idx) return undefined;
  const axis = s.axis(s.int('axis'), x.length);
  const scalar = idx.length === 1 && idx[0] === 1 && !s.bool('keepdims');
  const mid = scalar ? (x.length === 1 ? [1] : []) : idx;
  return [...x.slice(0, axis), ...mid, ...x.slice(axis + 1)];
}

/** Reduce over `axes`: kept as 1 or dropped; a full reduction without keepdims is [1]. */
export function reduceShape(s: ShapeContext): number[] | undefined {
  const x = s.shape('input');
  if (!x) return undefined;
  const axes = new Set(s.ints('axes').map((a) => s.axis(a, x.length)));
  return keepOrDrop(x, axes, s.bool('keepdims'));
}

/** Arg (argmax/argmin): indices and values share the reduced shape. */
export function argShapes(s: ShapeContext): number[][] | undefined {
  const x = s.shape('input');
  if (!x) return undefined;
  const out = keepOrDrop(x, new Set([s.axis(s.int('axis'), x.length)]), s.bool('keepdims'));
  return [out, out];
}

/** TopK: K from the attribute, else from a constant `kT`. */
export function topKShapes(s: ShapeContext): number[][] | undefined {
  const x = s.shape('input');
  if (!x) return undefined;
  let k = s.int('K');
  if (k < 0) {
    const c = s.isNone('kT') ? undefined : s.constant('kT');
    if (!c || c.length !== 1) return undefined;
    k = c[0]!;
  }
  const axis = s.axis(s.int('axis'), x.length);
  if (k > x[axis]!) s.fail(`K = ${k} exceeds the axis size ${x[axis]}`);
  const out = x.map((d, i) => (i === axis ? k : d));
  return [out, out];
}

function keepOrDrop(x: readonly number[], axes: ReadonlySet<number>, keep: boolean): number[] {
  const out = keep ? x.map((d, i) => (axes.has(i) ? 1 : d)) : x.filter((_, i) => !axes.has(i));
  return out.length === 0 ? [1] : out;
}
