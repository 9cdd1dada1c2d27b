// top -> ONNX: convolutions, matrix products, pooling, normalisations, softmax. Semantics follow
// the js reference kernels (kernels/js/*), which are what the ort backend is tested against.
import { top } from '@tpu-quant/ir';
import type { OpEmit } from './emitter.js';
import {
  broadcastShapes, fusedRelu, has, inShapeOf, normAxis, operandAs, reshape, shapeOf, sizeOf, Unsupported,
} from './emitter.js';

export type Converter = (e: OpEmit) => void;

/** pads, or auto_pad when it is set (ONNX resolves SAME_* exactly as the js kernels do). */
function padAttrs(autoPad: string | undefined, pads: readonly number[]) {
  return autoPad && autoPad !== 'NOTSET' ? { auto_pad: { s: autoPad } } : { pads: { ints: pads } };
}

/** A per-channel vector operand as [n]; `fill` when the operand is None. */
function vector(e: OpEmit, i: number, n: number, fill?: number): string {
  if (!has(e, i)) {
    if (fill === undefined) return '';
    return e.g.floats([n], new Float32Array(n).fill(fill), 'fill');
  }
  return operandAs(e, i, [n]);
}

const conv: Converter = (e) => {
  const a = top.convAttrs(e.op);
  if (a.inserts?.some((v) => v !== 0)) throw new Unsupported('inserts');
  const x = inShapeOf(e, 0);
  const out = shapeOf(e);
  const k = a.kernel_shape;
  const w = operandAs(e, 1, [out[1]!, x[1]! / a.group, ...k]);
  const y = e.node1('Conv', [e.input(0), w, vector(e, 2, out[1]!)], {
    kernel_shape: { ints: k }, strides: { ints: a.strides }, dilations: { ints: a.dilations }, group: { i: a.group },
    ...padAttrs(a.auto_pad, a.pads),
  });
  e.finish(fusedRelu(e, y, a), out);
};

/**
 * ConvTranspose takes its filter as [ic, oc/g, k...]. A top.Weight filter holds [oc, ic/g, k...]
 * data (TPU-MLIR's importer reorders ONNX's layout), so it is reordered back here; a computed
 * filter is already in ONNX's layout (see the js Deconv kernel).
 */
const deconv: Converter = (e) => {
  const a = top.deconvAttrs(e.op);
  const x = inShapeOf(e, 0);
  const out = shapeOf(e);
  const k = a.kernel_shape;
  const [ic, oc, g] = [x[1]!, out[1]!, a.group];
  const [icg, ocg, kk] = [ic / g, oc / g, sizeOf(k)];
  const shape = [ic, ocg, ...k];
  const wd = e.constant(1);
  let w: string;
  if (wd) {
    const src = wd.data;
    const dst = new Float32Array(src.length);
    for (let c = 0; c < ic; c++) {
      const grp = Math.floor(c / icg);
      for (let oo = 0; oo < ocg; oo++) {
        dst.set(src.subarray(((grp * ocg + oo) * icg + (c % icg)) * kk, ((grp * ocg + oo) * icg + (c % icg) + 1) * kk), (c * ocg + oo) * kk);
      }
    }
    w = e.g.floats(shape, dst, 'w');
  } else {
    w = operandAs(e, 1, shape);
  }
  const y = e.node1('ConvTranspose', [e.input(0), w, vector(e, 2, oc)], {
    kernel_shape: { ints: k }, strides: { ints: a.strides }, dilations: { ints: a.dilations }, group: { i: g },
    pads: { ints: a.pads }, output_padding: a.output_padding?.some((v) => v !== 0) ? { ints: a.output_padding } : undefined,
  });
  e.finish(fusedRelu(e, y, a), out);
};

/** MatMul by TPU-MLIR's rules, as the js kernel reads them (see its layout()). */
const matMul: Converter = (e) => {
  const a = top.matMulAttrs(e.op);
  if (a.left_transpose || a.output_transpose || a.hdim_is_batch) throw new Unsupported('left_transpose / output_transpose / hdim_is_batch');
  const xs = inShapeOf(e, 0);
  let ys = inShapeOf(e, 1);
  if (gemm(e, a, xs, ys)) return;
  let right = e.input(1);
  if (a.right_transpose && ys.length >= 2) {
    const r = ys.length;
    const perm = [...ys.keys()];
    [perm[r - 2], perm[r - 1]] = [r - 1, r - 2];
    const wd = e.constant(1);
    ys = perm.map((p) => ys[p]!);
    if (wd) {
      // transpose the weight once, here
      const [rows, cols] = [ys[r - 1]!, ys[r - 2]!];
      const src = wd.data;
      const dst = new Float32Array(src.length);
      for (let b = 0; b < src.length / (rows * cols); b++) {
        const o = b * rows * cols;
        for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) dst[o + j * rows + i] = src[o + i * cols + j]!;
      }
      right = e.g.floats(ys, dst, 'w');
    } else {
      right = e.node1('Transpose', [right], { perm: { ints: perm } });
    }
  }
  let left = e.input(0);
  const k = xs[xs.length - 1]!;
  let shape: number[];
  if (ys.length === 1) {
    shape = xs.slice(0, -1);
  } else {
    const kb = ys[ys.length - 2]!;
    const n = ys[ys.length - 1]!;
    if (kb !== k) {
      // [1, 512, 7, 7] x [25088, N]: the left side is read as [size / K, K]
      if (ys.length !== 2 || sizeOf(xs) % kb !== 0) throw new Unsupported(`K mismatch: [${xs.join(', ')}] x [${ys.join(', ')}]`);
      left = reshape(e, left, [sizeOf(xs) / kb, kb]);
      shape = [sizeOf(xs) / kb, n];
    } else if (xs.length === 1) {
      shape = [...ys.slice(0, -2), n];
    } else {
      shape = [...broadcastShapes([xs.slice(0, -2), ys.slice(0, -2)]), xs[xs.length - 2]!, n];
    }
  }
  let y = e.node1('MatMul', [left, right]);
  if (has(e, 2)) {
    const bs = inShapeOf(e, 2);
    const n = shape[shape.length - 1] ?? 1;
    if (sizeOf(bs) === n) {
      y = e.node1('Add', [y, operandAs(e, 2, [n])]);
    } else {
      y = e.node1('Add', [y, e.input(2)]);
      shape = broadcastShapes([shape, bs]);
    }
  }
  e.finish(fusedRelu(e, y, a), shape);
};

/**
 * A fully connected layer (2-D left, 2-D right, bias of N or none) as one Gemm, which reads a
 * transposed right side as is and which frontend-onnx imports back as one MatMul with bias.
 */
function gemm(e: OpEmit, a: { right_transpose: boolean; do_relu: boolean; relu_limit: number }, xs: readonly number[], ys: readonly number[]): boolean {
  if (xs.length !== 2 || ys.length !== 2) return false;
  const n = ys[a.right_transpose ? 0 : 1]!;
  if (xs[1] !== ys[a.right_transpose ? 1 : 0]) return false;
  if (has(e, 2) && sizeOf(inShapeOf(e, 2)) !== n) return false;
  const bias = has(e, 2) ? operandAs(e, 2, [n]) : '';
  const y = e.node1('Gemm', [e.input(0), e.input(1), bias], a.right_transpose ? { transB: { i: 1 } } : {});
  e.finish(fusedRelu(e, y, a), [xs[0]!, n]);
  return true;
}

function pool(e: OpEmit, max: boolean): void {
  const a = max ? top.maxPoolAttrs(e.op) : top.avgPoolAttrs(e.op);
  const x = inShapeOf(e, 0);
  const out = shapeOf(e);
  const r = x.length - 2;
  const spatialOut = [...out.slice(2), ...new Array<number>(Math.max(0, r - (out.length - 2))).fill(1)].slice(0, r);
  const full = [x[0]!, x[1]!, ...spatialOut];
  const kind = max ? 'MaxPool' : 'AveragePool';
  let y: string;
  if (a.is_adaptive || a.kernel_shape.length === 0) {
    y = adaptivePool(e, kind, x, spatialOut, a.kernel_shape.length === 0 && !a.is_adaptive);
  } else {
    const dil = a.dilations.length === a.kernel_shape.length ? a.dilations : a.kernel_shape.map(() => 1);
    if (!max && dil.some((d) => d !== 1)) throw new Unsupported('average pooling with dilations');
    if (!max && a.count_include_pad && a.pad_value !== 0) throw new Unsupported(`pad_value ${a.pad_value} with count_include_pad`);
    y = e.node1(kind, [e.input(0)], {
      kernel_shape: { ints: a.kernel_shape }, strides: { ints: a.strides }, ...padAttrs(a.auto_pad, a.pads),
      ceil_mode: a.ceil_mode ? { i: 1 } : undefined,
      dilations: max && dil.some((d) => d !== 1) ? { ints: dil } : undefined,
      count_include_pad: !max && a.count_include_pad ? { i: 1 } : undefined,
    });
  }
  e.finish(fusedRelu(e, y, a), full);
}

/** Global pooling, or adaptive pooling whose windows are all equal (input a multiple of output). */
function adaptivePool(e: OpEmit, kind: string, x: readonly number[], spatialOut: readonly number[], global: boolean): string {
  const spatialIn = x.slice(2);
  if (global || spatialOut.every((d) => d === 1)) return e.node1(`Global${kind}`, [e.input(0)]);
  if (spatialIn.some((d, i) => d % spatialOut[i]! !== 0)) {
    throw new Unsupported(`adaptive pooling from [${spatialIn.join(', ')}] to [${spatialOut.join(', ')}] (uneven windows)`);
  }
  const k = spatialIn.map((d, i) => d / spatialOut[i]!);
  return e.node1(kind, [e.input(0)], { kernel_shape: { ints: k }, strides: { ints: k } });
}

const adaptiveAvgPool: Converter = (e) => {
  const x = inShapeOf(e, 0);
  const out = shapeOf(e);
  e.finish(adaptivePool(e, 'AveragePool', x, out.slice(2), false), out);
};

const batchNorm: Converter = (e) => {
  const a = top.batchNormAttrs(e.op);
  const x = inShapeOf(e, 0);
  const c = x[1] ?? 1;
  const y = e.node1('BatchNormalization', [e.input(0), vector(e, 3, c, 1), vector(e, 4, c, 0), vector(e, 1, c), vector(e, 2, c)], {
    epsilon: { f: a.epsilon },
  });
  e.finish(fusedRelu(e, y, a), x);
};

/** [1, C, 1, ...] of the input's rank: a per-channel operand broadcast over axis 1. */
const channelShape = (x: readonly number[]): number[] => x.map((d, i) => (i === 1 ? d : 1));

const scale: Converter = (e) => {
  const a = top.scaleAttrs(e.op);
  const x = inShapeOf(e, 0);
  const cs = channelShape(x);
  const y = e.node1('Add', [e.node1('Mul', [e.input(0), operandAs(e, 1, cs)]), operandAs(e, 2, cs)]);
  e.finish(fusedRelu(e, y, a), x);
};

/** The trailing dims of `shape` holding n elements (LayerNorm's weight indexes i % n). */
function suffixOf(shape: readonly number[], n: number): number[] {
  for (let i = shape.length; i >= 0; i--) if (sizeOf(shape.slice(i)) === n) return shape.slice(i);
  throw new Unsupported(`a weight of ${n} elements does not match the normalised shape [${shape.join(', ')}]`);
}

const layerNorm: Converter = (e) => {
  const a = top.layerNormAttrs(e.op);
  const x = inShapeOf(e, 0);
  const axis = normAxis(a.axis, x.length);
  const norm = x.slice(axis);
  const affine = (i: number, fill: number): string => {
    if (!has(e, i)) return fill === 0 ? '' : e.g.floats(norm, new Float32Array(sizeOf(norm)).fill(fill), 'fill');
    return operandAs(e, i, suffixOf(norm, sizeOf(inShapeOf(e, i))));
  };
  const y = e.node1('LayerNormalization', [e.input(0), affine(1, 1), affine(2, 0)], { axis: { i: axis }, epsilon: { f: a.eps } });
  e.finish(y, x);
};

/** Per-channel weight·y + bias on [N, C, ...] (either may be None). */
function channelAffine(e: OpEmit, y: string, x: readonly number[]): string {
  const cs = channelShape(x);
  if (has(e, 1)) y = e.node1('Mul', [y, operandAs(e, 1, cs)]);
  if (has(e, 2)) y = e.node1('Add', [y, operandAs(e, 2, cs)]);
  return y;
}

const instanceNorm: Converter = (e) => {
  const a = top.instanceNormAttrs(e.op);
  const x = inShapeOf(e, 0);
  const c = x[1]!;
  const y = e.node1('InstanceNormalization', [e.input(0), vector(e, 1, c, 1), vector(e, 2, c, 0)], { epsilon: { f: a.eps } });
  e.finish(y, x);
};

/** GroupNorm as InstanceNormalization over [N, G, rest], then the per-channel affine. */
const groupNorm: Converter = (e) => {
  const a = top.groupNormAttrs(e.op);
  const x = inShapeOf(e, 0);
  const g = a.num_groups;
  const grouped = reshape(e, e.input(0), [x[0]!, g, sizeOf(x) / (x[0]! * g)]);
  const ones = e.g.floats([g], new Float32Array(g).fill(1), 'fill');
  const zeros = e.g.floats([g], new Float32Array(g), 'fill');
  const n = e.node1('InstanceNormalization', [grouped, ones, zeros], { epsilon: { f: a.eps } });
  e.finish(channelAffine(e, reshape(e, n, x), x), x);
};

/** x / sqrt(mean(x², last axis) + eps) · gamma. */
const rmsNorm: Converter = (e) => {
  const a = top.rmsNormAttrs(e.op);
  const x = inShapeOf(e, 0);
  const xi = e.input(0);
  const ms = e.node1('ReduceMean', [e.node1('Mul', [xi, xi])], { axes: { ints: [-1] }, keepdims: { i: 1 } });
  let y = e.node1('Div', [xi, e.node1('Sqrt', [e.node1('Add', [ms, e.g.scalar(a.eps)])])]);
  if (has(e, 1)) y = e.node1('Mul', [y, operandAs(e, 1, [x[x.length - 1]!])]);
  e.finish(y, x);
};

const lrn: Converter = (e) => {
  const a = top.lrnAttrs(e.op);
  const y = e.node1('LRN', [e.input(0)], { size: { i: a.size }, alpha: { f: a.alpha }, beta: { f: a.beta }, bias: { f: a.bias } });
  e.finish(y, inShapeOf(e, 0));
};

const softmax: Converter = (e) => {
  const a = top.softmaxAttrs(e.op);
  const x = inShapeOf(e, 0);
  const xi = a.beta === 1 ? e.input(0) : e.node1('Mul', [e.input(0), e.g.scalar(a.beta)]);
  e.finish(e.node1(a.log ? 'LogSoftmax' : 'Softmax', [xi], { axis: { i: normAxis(a.axis, x.length) } }), x);
};

export const NN_OPS: Record<string, Converter> = {
  Conv: conv,
  Deconv: deconv,
  MatMul: matMul,
  MaxPool: (e) => pool(e, true),
  AvgPool: (e) => pool(e, false),
  AdaptiveAvgPool: adaptiveAvgPool,
  BatchNorm: batchNorm,
  Scale: scale,
  LayerNorm: layerNorm,
  InstanceNorm: instanceNorm,
  GroupNorm: groupNorm,
  RMSNorm: rmsNorm,
  LRN: lrn,
  Softmax: softmax,
};

