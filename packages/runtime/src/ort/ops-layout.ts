// top -> ONNX: ops that move data (reshapes, transposes, joins, slices, pads, resizes), gathers
// and scatters, reductions, and ops whose results follow from static shapes alone.
import { OnnxDataType, top } from '@tpu-quant/ir';
import type { OpEmit } from './emitter.js';
import { floatTensor, fusedRelu, has, inShapeOf, normAxis, reshape, shapeOf, sizeOf, Unsupported } from './emitter.js';
import type { Converter } from './ops-nn.js';

/** An ONNX Slice end below every start: a negative step runs down to index 0. */
const BEFORE_START = Number.MIN_SAFE_INTEGER;

/** The values of operand i, which must be a weight (offsets, steps, paddings given as tensors). */
function constValues(e: OpEmit, i: number, what: string): number[] {
  const w = e.constant(i);
  if (!w) throw new Unsupported(`${what} computed at run time`);
  return Array.from(w.data);
}

/** First index of a Python-style slice, clamped as TPU-MLIR does (the js kernel's sliceStart). */
function sliceStart(d: number, start: number, step: number): number {
  const b = start < 0 ? start + d : start;
  return step > 0 ? Math.min(Math.max(b, 0), d) : Math.min(Math.max(b, 0), d - 1);
}

/** A Slice taking out[ax] elements from start[ax] by step[ax] on every axis that changes. */
function strided(e: OpEmit, x: string, xs: readonly number[], out: readonly number[], start: readonly number[], step: readonly number[]): string {
  const axes: number[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  const steps: number[] = [];
  xs.forEach((d, ax) => {
    if (start[ax] === 0 && step[ax] === 1 && out[ax] === d) return;
    const end = start[ax]! + step[ax]! * out[ax]!;
    axes.push(ax);
    starts.push(start[ax]!);
    ends.push(step[ax]! < 0 && end < 0 ? BEFORE_START : end);
    steps.push(step[ax]!);
  });
  if (axes.length === 0) return x;
  return e.node1('Slice', [x, e.g.ints(starts), e.g.ints(ends), e.g.ints(axes), e.g.ints(steps)]);
}

const slice: Converter = (e) => {
  const a = top.sliceAttrs(e.op);
  const xs = inShapeOf(e, 0);
  const out = shapeOf(e);
  const r = xs.length;
  const offset = has(e, 1) ? constValues(e, 1, 'slice offsets') : a.offset;
  const stepsIn = has(e, 3) ? constValues(e, 3, 'slice steps') : a.steps;
  const axes = a.axes.length > 0 ? a.axes.map((ax) => normAxis(ax, r)) : offset.map((_, i) => i);
  const start = new Array<number>(r).fill(0);
  const step = new Array<number>(r).fill(1);
  axes.forEach((ax, i) => {
    step[ax] = stepsIn[i]!;
    start[ax] = sliceStart(xs[ax]!, offset[i]!, stepsIn[i]!);
  });
  e.finish(strided(e, e.input(0), xs, out, start, step), out);
};

const stridedSlice: Converter = (e) => {
  const a = top.stridedSliceAttrs(e.op);
  if (a.ellipsis_mask !== 0 || a.new_axis_mask !== 0) throw new Unsupported('ellipsis or new-axis masks');
  const xs = inShapeOf(e, 0);
  const out = shapeOf(e);
  const starts = constValues(e, 1, 'starts');
  const strides = constValues(e, 3, 'strides');
  const r = xs.length;
  const start = new Array<number>(r).fill(0);
  const step = new Array<number>(r).fill(1);
  const shrunk: boolean[] = [];
  for (let i = 0; i < r; i++) {
    if (i < starts.length) {
      step[i] = strides[i]!;
      const b = a.begin_mask & (1 << i) ? (step[i]! > 0 ? 0 : xs[i]! - 1) : starts[i]!;
      start[i] = sliceStart(xs[i]!, b, step[i]!);
    }
    shrunk.push((a.shrink_axis_mask & (1 << i)) !== 0);
  }
  let k = 0;
  const full = shrunk.map((s) => (s ? 1 : out[k++] ?? 1));
  e.finish(strided(e, e.input(0), xs, full, start, step), full);
};

const reshapeLike: Converter = (e) => e.finish(e.input(0), inShapeOf(e, 0));

const permute: Converter = (e) => {
  const order = top.permuteAttrs(e.op).order;
  const xs = inShapeOf(e, 0);
  e.finish(e.node1('Transpose', [e.input(0)], { perm: { ints: order } }), order.map((o) => xs[o]!));
};

const transpose: Converter = (e) => {
  const a = top.transposeAttrs(e.op);
  const xs = inShapeOf(e, 0);
  const order = xs.map((_, i) => i);
  const [d0, d1] = [normAxis(a.dim0, xs.length), normAxis(a.dim1, xs.length)];
  [order[d0], order[d1]] = [order[d1]!, order[d0]!];
  e.finish(e.node1('Transpose', [e.input(0)], { perm: { ints: order } }), order.map((o) => xs[o]!));
};

const concat: Converter = (e) => {
  const a = top.concatAttrs(e.op);
  const out = shapeOf(e);
  const inputs = [...Array(e.arity).keys()].filter((i) => has(e, i)).map((i) => e.input(i));
  const y = e.node1('Concat', inputs, { axis: { i: normAxis(a.axis, out.length) } });
  e.finish(fusedRelu(e, y, a), out);
};

const split: Converter = (e) => {
  const xs = inShapeOf(e, 0);
  const axis = normAxis(top.splitAttrs(e.op).axis, xs.length);
  const shapes = [...Array(e.results).keys()].map((k) => shapeOf(e, k));
  const parts = e.node('Split', [e.input(0), e.g.ints(shapes.map((s) => s[axis]!))], shapes.length, { axis: { i: axis } });
  parts.forEach((p, k) => e.finish(p, shapes[k]!, k));
};

const tile: Converter = (e) => {
  const out = shapeOf(e);
  const xs0 = inShapeOf(e, 0);
  const xs = [...new Array<number>(out.length - xs0.length).fill(1), ...xs0];
  const x = xs.length === xs0.length ? e.input(0) : reshape(e, e.input(0), xs);
  e.finish(e.node1('Tile', [x, e.g.ints(out.map((d, i) => d / xs[i]!))]), out);
};

const expand: Converter = (e) => {
  const out = shapeOf(e);
  e.finish(e.node1('Expand', [e.input(0), e.g.ints(out)]), out);
};

const pad: Converter = (e) => {
  const a = top.padAttrs(e.op);
  if (a.mode === 'symmetric') throw new Unsupported('symmetric padding');
  const p = a.paddings.length > 0 ? a.paddings : constValues(e, 1, 'paddings');
  const y = e.node1('Pad', [e.input(0), e.g.ints(p), a.mode === 'constant' ? e.g.scalar(a.val) : ''], { mode: { s: a.mode } });
  e.finish(y, shapeOf(e));
};

/**
 * Depth2Space as reshape / transpose / reshape. DCR reads channel (i·bw + j)·C + c, CRD
 * c·bh·bw + i·bw + j (see the js kernel); is_inversed is space-to-depth.
 */
const depth2Space: Converter = (e) => {
  const a = top.depth2SpaceAttrs(e.op);
  if (a.swap_cr) throw new Unsupported('swap_cr');
  let x = e.input(0);
  let xs = inShapeOf(e, 0);
  if (!a.in_is_NCHW) {
    x = e.node1('Transpose', [x], { perm: { ints: [0, 3, 1, 2] } });
    xs = [xs[0]!, xs[3]!, xs[1]!, xs[2]!];
  }
  const { block_h: bh, block_w: bw } = a;
  const [n, c, h, w] = xs as [number, number, number, number];
  let y: string;
  let ys: number[];
  if (!a.is_inversed) {
    const C = c / (bh * bw);
    const six = a.is_CRD ? [n, C, bh, bw, h, w] : [n, bh, bw, C, h, w];
    const perm = a.is_CRD ? [0, 1, 4, 2, 5, 3] : [0, 3, 4, 1, 5, 2];
    ys = [n, C, h * bh, w * bw];
    y = reshape(e, e.node1('Transpose', [reshape(e, x, six)], { perm: { ints: perm } }), ys);
  } else {
    const [sh, sw] = [h / bh, w / bw];
    const perm = a.is_CRD ? [0, 1, 3, 5, 2, 4] : [0, 3, 5, 1, 2, 4];
    ys = [n, c * bh * bw, sh, sw];
    y = reshape(e, e.node1('Transpose', [reshape(e, x, [n, c, sh, bh, sw, bw])], { perm: { ints: perm } }), ys);
  }
  if (!a.out_is_NCHW) {
    y = e.node1('Transpose', [y], { perm: { ints: [0, 2, 3, 1] } });
    ys = [ys[0]!, ys[2]!, ys[3]!, ys[1]!];
  }
  e.finish(y, ys);
};

const shuffleChannel: Converter = (e) => {
  const xs = inShapeOf(e, 0);
  const g = top.shuffleChannelAttrs(e.op).group;
  const [n, c] = [xs[0]!, xs[1]!];
  const four = [n, g, c / g, sizeOf(xs.slice(2))];
  const t = e.node1('Transpose', [reshape(e, e.input(0), four)], { perm: { ints: [0, 2, 1, 3] } });
  e.finish(t, [n, c / g, g, four[3]!]);
};

const reverse: Converter = (e) => {
  const xs = inShapeOf(e, 0);
  const axis = normAxis(top.reverseAttrs(e.op).axis, xs.length);
  const y = e.node1('Slice', [e.input(0), e.g.ints([xs[axis]! - 1]), e.g.ints([BEFORE_START]), e.g.ints([axis]), e.g.ints([-1])]);
  e.finish(y, xs);
};

/**
 * Resize of the last two axes (the last one for rank < 4) of x read as [1, planes, h, w], as the
 * js kernel does. `scale` per axis: the given one when ONNX's floor(in·scale) gives the IR's
 * output size, else the sizes themselves (ONNX then scales by out/in, like the js kernel).
 */
function resize(
  e: OpEmit, x: string, xs: readonly number[], out: readonly number[], scales: readonly [number, number],
  attrs: Record<string, { s: string }>,
): string {
  const r = xs.length;
  const [ih, iw] = r >= 4 ? [xs[r - 2]!, xs[r - 1]!] : [1, xs[r - 1]!];
  const [oh, ow] = r >= 4 ? [out[r - 2]!, out[r - 1]!] : [1, out[r - 1]!];
  const planes = sizeOf(xs) / (ih * iw);
  const four = [1, planes, ih, iw];
  const x4 = r === 4 && xs[0] === 1 ? x : reshape(e, x, four);
  const fits = (s: number, i: number, o: number): boolean => s > 0 && Math.floor(i * Math.fround(s)) === o;
  const [sh, sw] = r >= 4 ? scales : [1, scales[1]];
  const inputs = fits(sh, ih, oh) && fits(sw, iw, ow)
    ? [x4, '', e.g.floats([4], [1, 1, sh, sw], 'scales')]
    : [x4, '', '', e.g.ints([1, planes, oh, ow])];
  return e.node1('Resize', inputs, attrs);
}

const interp: Converter = (e) => {
  const a = top.interpAttrs(e.op);
  const xs = inShapeOf(e, 0);
  const out = shapeOf(e);
  const nearest = a.nearest_mode ?? (a.coord_mode === 'asymmetric' ? 'floor' : 'round_prefer_floor');
  const y = resize(e, e.input(0), xs, out, [a.scale_h, a.scale_w], {
    mode: { s: a.mode },
    coordinate_transformation_mode: { s: a.coord_mode },
    ...(a.mode === 'nearest' ? { nearest_mode: { s: nearest } } : {}),
  });
  e.finish(y, out);
};

/** Upsample: nearest by integer factors, output index o reads floor(o / scale). */
const upsample: Converter = (e) => {
  const a = top.upsampleAttrs(e.op);
  const xs = inShapeOf(e, 0);
  const out = shapeOf(e);
  const y = resize(e, e.input(0), xs, out, [a.scale_h, a.scale_w], {
    mode: { s: 'nearest' }, coordinate_transformation_mode: { s: 'asymmetric' }, nearest_mode: { s: 'floor' },
  });
  e.finish(fusedRelu(e, y, a), out);
};

const gather: Converter = (e) => {
  const xs = inShapeOf(e, 0);
  const axis = normAxis(top.gatherAttrs(e.op).axis, xs.length);
  const is = inShapeOf(e, 1);
  const y = e.node1('Gather', [e.input(0), e.intInput(1)], { axis: { i: axis } });
  e.finish(y, [...xs.slice(0, axis), ...is, ...xs.slice(axis + 1)]);
};

const gatherElements: Converter = (e) => {
  const xs = inShapeOf(e, 0);
  const axis = normAxis(top.gatherElementsAttrs(e.op).axis, xs.length);
  e.finish(e.node1('GatherElements', [e.input(0), e.intInput(1)], { axis: { i: axis } }), inShapeOf(e, 1));
};

const SCATTER_REDUCTIONS = ['none', 'add', 'mul'];

const scatterND: Converter = (e) => {
  const reduction = SCATTER_REDUCTIONS[top.scatterNDAttrs(e.op).reduction];
  if (!reduction) throw new Unsupported('max/min reduction');
  const y = e.node1('ScatterND', [e.input(0), e.intInput(1), e.input(2)], reduction === 'none' ? {} : { reduction: { s: reduction } });
  e.finish(y, inShapeOf(e, 0));
};

const reduce: Converter = (e) => {
  const a = top.reduceAttrs(e.op);
  const xs = inShapeOf(e, 0);
  const axes = [...new Set(a.axes.map((ax) => normAxis(ax, xs.length)))].sort((p, q) => p - q);
  const keep = { keepdims: { i: a.keepdims ? 1 : 0 } };
  const y = a.mode === 'ReduceSum'
    ? e.node1('ReduceSum', [e.input(0), e.g.ints(axes)], keep)
    : e.node1(a.mode, [e.input(0)], { axes: { ints: axes }, ...keep });
  e.finish(y, xs.flatMap((d, i) => (!axes.includes(i) ? [d] : a.keepdims ? [1] : [])));
};

const arg: Converter = (e) => {
  const a = top.argAttrs(e.op);
  const xs = inShapeOf(e, 0);
  const axis = normAxis(a.axis, xs.length);
  const shape = xs.flatMap((d, i) => (i !== axis ? [d] : a.keepdims ? [1] : []));
  const keep = { keepdims: { i: a.keepdims ? 1 : 0 } };
  const idx = e.node1(a.mode, [e.input(0)], { axis: { i: axis }, select_last_index: { i: a.select_last_index ? 1 : 0 }, ...keep });
  e.finish(e.node1('Cast', [idx], { to: { i: OnnxDataType.FLOAT } }), shape);
  if (e.results > 1 && e.outShape(1)) {
    const v = e.node1(a.mode === 'ArgMax' ? 'ReduceMax' : 'ReduceMin', [e.input(0)], { axes: { ints: [axis] }, ...keep });
    e.finish(v, shape, 1);
  }
};

const cumSum: Converter = (e) => {
  const xs = inShapeOf(e, 0);
  const axis = normAxis(top.cumSumAttrs(e.op).axis, xs.length);
  e.finish(e.node1('CumSum', [e.input(0), e.g.ints([axis], [])]), xs);
};

/** A result known from static shapes alone, as a Constant node (so it can be captured). */
function constant(e: OpEmit, values: ArrayLike<number>): void {
  const out = shapeOf(e);
  e.node('Constant', [], [e.output()], { value: { t: floatTensor('', out, values) } });
}

const shape: Converter = (e) => {
  const a = top.shapeAttrs(e.op);
  const dims = inShapeOf(e, 0);
  const r = dims.length;
  const norm = (v: number): number => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
  const step = a.step ?? 1;
  const start = a.start === undefined ? 0 : norm(a.start);
  const end = a.end === undefined ? r : norm(a.end);
  const values: number[] = [];
  for (let i = start; step > 0 ? i < end : i > end; i += step) values.push(dims[i]!);
  constant(e, values);
};

const constantFill: Converter = (e) => {
  const out = shapeOf(e);
  const value = floatTensor('', [1], [top.constantFillAttrs(e.op).value]);
  e.node('ConstantOfShape', [e.g.ints(out)], [e.output()], { value: { t: value } });
};

/** Range: start + i·delta for the IR's length; static when its operands are weights. */
const range: Converter = (e) => {
  const n = sizeOf(shapeOf(e));
  const read = (i: number, dflt: number): number | undefined => (has(e, i) ? e.constant(i)?.data[0] : dflt);
  const [start, delta] = [read(0, 0), read(2, 1)];
  if (start !== undefined && delta !== undefined) {
    constant(e, Array.from({ length: n }, (_, i) => start + i * delta));
    return;
  }
  const scalar = (i: number, dflt: number): string => (has(e, i) ? reshape(e, e.input(i), []) : e.g.scalar(dflt));
  e.finish(e.node1('Range', [scalar(0, 0), scalar(1, 0), scalar(2, 1)]), [n]);
};

const trilu: Converter = (e) => {
  const a = top.triluAttrs(e.op);
  e.finish(e.node1('Trilu', [e.input(0), e.g.ints([a.diagonal], [])], { upper: { i: a.upper ? 1 : 0 } }), inShapeOf(e, 0));
};

export const LAYOUT_OPS: Record<string, Converter> = {
  Reshape: reshapeLike,
  Flatten: reshapeLike,
  Squeeze: reshapeLike,
  Unsqueeze: reshapeLike,
  Permute: permute,
  Transpose: transpose,
  Concat: concat,
  Split: split,
  Slice: slice,
  StridedSlice: stridedSlice,
  Tile: tile,
  Expand: expand,
  Pad: pad,
  Depth2Space: depth2Space,
  ShuffleChannel: shuffleChannel,
  Reverse: reverse,
  Interp: interp,
  Upsample: upsample,
  Gather: gather,
  GatherElements: gatherElements,
  ScatterND: scatterND,
  Reduce: reduce,
  Arg: arg,
  CumSum: cumSum,
  Shape: shape,
  ConstantFill: constantFill,
  Range: range,
  Trilu: trilu,
};
