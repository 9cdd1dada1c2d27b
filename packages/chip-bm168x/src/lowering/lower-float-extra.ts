// Float lowerings (F32 / F16 / BF16) of the ops transformers and OCR models leave after the
// first slice (lower-float.ts): LayerNorm, GELU, HardSwish, HardSigmoid, MulConst, AddConst,
// Scale, Slice, Permute, Concat, Mul, Upsample, Deconv and MatMul of two activations (upstream
// lib/Conversion/TopToTpu/BM1684X/{LayerNorm,GELU,HardSwish,HardSigmoid,MulConst,AddConst,Scale,
// Slice,Permute,Concat,Mul,Upsample,Deconv,MatMul}.cpp). Weights are cloned in the op's float type (`clone_f16` / `clone_bf16` of
// `lowering_common`), activations cast to it.
//
// Precision rules of upstream followed here (the op computes in F32 although the mode is F16/BF16):
// - GELU in F16 / BF16 → F32 on BM1684X and BM1690 (GELU.cpp); BM1688 / CV186X keep the mode.
// - HardSigmoid in F16 / BF16 → F32 on every chip (HardSigmoid.cpp, "TODO: supports f16").
// - LayerNorm in BF16 on BM1688 / CV186X (`isBM1686()`) → F32.
// - MulConst whose constant lies outside the mode's range (±65504 F16, ±3.3895314e38 BF16) → F32.
import type { FloatType, Op, TargetInfo, TensorType, Value } from '@tpu-quant/ir';
import { f32, tensorType, top } from '@tpu-quant/ir';
import type { ActiveAttrs } from '../dialect/generated/attrs.js';
import * as tpu from '../dialect/generated/builders.js';
import type { LoweringContext } from './context.js';
import type { FloatLowering, FloatMode } from './lower-float.js';

const isNone = (v: Value | undefined): boolean => v === undefined || v.type.kind === 'none';
const isWeight = (v: Value | undefined): boolean => v?.producer?.type === 'top.Weight';

function at(op: Op, cx: LoweringContext, t: FloatType) {
  cx.b.setInsertionPointBefore(op);
  return { loc: op.loc, resultType: tensorType((op.result().type as TensorType).shape, t) };
}

/** Operand `v` in type `t`: a weight stored in `t`, or an activation cast to `t`. */
function operandIn(cx: LoweringContext, v: Value, t: FloatType, before: Op): Value | undefined {
  return isWeight(v) ? cx.floatWeight(v, t, before) : cx.float(v, t);
}

/** The mode's type, or F32 when `toF32` says so for F16 / BF16. */
const typeOf = (m: FloatMode, toF32: boolean): FloatType => (m.name !== 'F32' && toF32 ? f32 : m.type);

const isBM1686 = (t: TargetInfo): boolean => t.name === 'bm1688' || t.name === 'cv186x';
const isBM1684XorBM1690 = (t: TargetInfo): boolean => t.name === 'bm1684x' || t.name === 'bm1690';

export const layerNormType = (m: FloatMode): FloatType => typeOf(m, m.name === 'BF16' && isBM1686(m.target));

const layerNorm: FloatLowering = (op, cx, m) => {
  const a = top.layerNormAttrs(op);
  const t = layerNormType(m);
  const [, wv, bv] = op.operands;
  if ((!isNone(wv) && !isWeight(wv)) || (!isNone(bv) && !isWeight(bv))) return undefined;
  const weight = isNone(wv) ? undefined : cx.floatWeight(wv!, t, op);
  const bias = isNone(bv) ? undefined : cx.floatWeight(bv!, t, op);
  if ((!isNone(wv) && !weight) || (!isNone(bv) && !bias)) return undefined;
  const input = cx.float(op.operand(0), t);
  return tpu.layerNorm(
    cx.b,
    { input, ...(weight ? { weight } : {}), ...(bias ? { bias } : {}) },
    { normalized_shape: a.normalized_shape, axis: a.axis, eps: a.eps },
    at(op, cx, t),
  ).result();
};

/** A unary op as tpu.Active `mode` with `coeffs`, computed in type `typeFor(m)`. */
function active(mode: (op: Op) => ActiveAttrs['mode'], typeFor: (m: FloatMode) => FloatType, coeffs?: (op: Op) => number[]): FloatLowering {
  return (op, cx, m) => {
    const t = typeFor(m);
    const input = cx.float(op.operand(0), t);
    const c = coeffs?.(op);
    return tpu.active(cx.b, { input }, { mode: mode(op), ...(c ? { coeffs: c } : {}) }, at(op, cx, t)).result();
  };
}

const GELU_MODES: Readonly<Record<string, ActiveAttrs['mode']>> = { normal: 'GELU', tanh: 'TGELU', sigm: 'QGELU' };

const gelu = active(
  (op) => GELU_MODES[top.geluAttrs(op).approx_mode] ?? 'GELU',
  (m) => typeOf(m, isBM1684XorBM1690(m.target)),
);

const hardSwish = active(() => 'HSWISH', (m) => m.type);

// upstream writes coeffs [beta, alpha]
const hardSigmoid = active(() => 'HSIGMOID', () => f32, (op) => {
  const a = top.hardSigmoidAttrs(op);
  return [a.beta, a.alpha];
});

const F16_MAX = 65504;
const BF16_MAX = 3.3895314e38;

export const mulConstType = (m: FloatMode, c: number): FloatType =>
  typeOf(m, (m.name === 'F16' && Math.abs(c) > F16_MAX) || (m.name === 'BF16' && Math.abs(c) > BF16_MAX));

const mulConst: FloatLowering = (op, cx, m) => {
  const a = top.mulConstAttrs(op);
  const t = mulConstType(m, a.const_val);
  const input = cx.float(op.operand(0), t);
  return tpu.mulConst(cx.b, { input }, { const_val: a.const_val, do_relu: a.do_relu, relu_limit: a.relu_limit }, at(op, cx, t)).result();
};

const addConst: FloatLowering = (op, cx, m) => {
  const a = top.addConstAttrs(op);
  const input = cx.float(op.operand(0), m.type);
  return tpu.addConst(cx.b, { input }, { const_val: a.const_val, do_relu: a.do_relu, relu_limit: a.relu_limit }, at(op, cx, m.type)).result();
};

const scale: FloatLowering = (op, cx, m) => {
  const a = top.scaleAttrs(op);
  if (!isWeight(op.operand(1)) || !isWeight(op.operand(2))) return undefined;
  const s = cx.floatWeight(op.operand(1), m.type, op);
  const bias = cx.floatWeight(op.operand(2), m.type, op);
  if (!s || !bias) return undefined;
  const input = cx.float(op.operand(0), m.type);
  return tpu.scale(cx.b, { input, scale: s, bias }, { do_relu: a.do_relu, relu_limit: a.relu_limit }, at(op, cx, m.type)).result();
};

/** Activations whose result shape is static (data movement needs it). */
const staticShape = (op: Op): boolean => !(op.result().type as TensorType).shape.some((d) => d < 0);

const slice: FloatLowering = (op, cx, m) => {
  const a = top.sliceAttrs(op);
  // offset / ends / steps given as tensors are folded by the importer; refuse the rest
  if (!staticShape(op) || isWeight(op.operand(0)) || op.operands.slice(1).some((v) => !isNone(v))) return undefined;
  const input = cx.float(op.operand(0), m.type);
  const axes = a.axes.length > 0 ? a.axes : a.offset.map((_, i) => i);
  return tpu.slice(cx.b, { input }, { offset: a.offset, steps: a.steps, ends: a.ends, axes }, at(op, cx, m.type)).result();
};

const permute: FloatLowering = (op, cx, m) => {
  if (!staticShape(op) || isWeight(op.operand(0))) return undefined;
  const input = cx.float(op.operand(0), m.type);
  return tpu.permute(cx.b, { input }, { order: top.permuteAttrs(op).order }, at(op, cx, m.type)).result();
};

const concat: FloatLowering = (op, cx, m) => {
  if (!staticShape(op)) return undefined;
  const a = top.concatAttrs(op);
  const inputs = op.operands.map((v) => operandIn(cx, v, m.type, op));
  if (inputs.some((v) => v === undefined)) return undefined;
  return tpu.concat(cx.b, { inputs: inputs as Value[] }, { axis: a.axis, do_relu: a.do_relu, relu_limit: a.relu_limit }, at(op, cx, m.type)).result();
};

/**
 * MatMul of two activations (or a batched weight): [..., M, K] × [..., K, N], batch dims
 * broadcast; both operands in the mode's type. Transposed left / output and hdim_is_batch stay top.
 */
export const actMatMul: FloatLowering = (op, cx, m) => {
  const a = top.matMulAttrs(op);
  if (a.left_transpose || a.output_transpose || a.hdim_is_batch || !staticShape(op)) return undefined;
  const [lv, rv, biasV] = op.operands as [Value, Value, Value | undefined];
  const lr = (lv.type as TensorType).shape.length;
  const rr = (rv.type as TensorType).shape.length;
  if (lr < 2 || rr < 2 || (op.result().type as TensorType).shape.length !== Math.max(lr, rr) || isWeight(lv)) return undefined;
  if (!isNone(biasV) && !isWeight(biasV)) return undefined;
  const right = operandIn(cx, rv, m.type, op);
  // the bias in the mode's type on BM1684X / BM1690, else f32 (as lower-float.ts's weight MatMul)
  const bias = isNone(biasV) ? undefined : isBM1684XorBM1690(m.target) ? cx.floatWeight(biasV!, m.type, op) : biasV!;
  if (!right || (!isNone(biasV) && !bias)) return undefined;
  const input = cx.float(lv, m.type);
  return tpu.matMul(
    cx.b,
    { input, right, ...(bias ? { bias } : {}) },
    { right_transpose: a.right_transpose, keep_dims: a.keep_dims, do_relu: a.do_relu, relu_limit: a.relu_limit },
    at(op, cx, m.type),
  ).result();
};

/** Mul of two operands (broadcast); a weight operand stored in the mode's type (lowering_common). */
const mul: FloatLowering = (op, cx, m) => {
  const a = top.mulAttrs(op);
  if (op.operands.length !== 2 || !staticShape(op)) return undefined;
  const inputs = op.operands.map((v) => operandIn(cx, v, m.type, op));
  if (inputs.some((v) => v === undefined)) return undefined;
  return tpu.mul(cx.b, { inputs: inputs as Value[] }, { do_relu: a.do_relu, relu_limit: a.relu_limit }, at(op, cx, m.type)).result();
};

/** Sub: a weight operand stored in the mode's type; coeff and is_reverse as the top op has them. */
const sub: FloatLowering = (op, cx, m) => {
  const a = top.subAttrs(op);
  if (op.operands.length !== 2 || !staticShape(op)) return undefined;
  const inputs = op.operands.map((v) => operandIn(cx, v, m.type, op));
  if (inputs.some((v) => v === undefined)) return undefined;
  const attrs = { is_reverse: a.is_reverse, do_relu: a.do_relu, relu_limit: a.relu_limit, ...(a.coeff ? { coeff: a.coeff } : {}) };
  return tpu.sub(cx.b, { inputs: inputs as Value[] }, attrs, at(op, cx, m.type)).result();
};

/** Pad by constant paddings: tpu.Pad in the mode's type, the pad value a real number. */
const pad: FloatLowering = (op, cx, m) => {
  const a = top.padAttrs(op);
  if (!staticShape(op) || a.paddings.length === 0 || isWeight(op.operand(0))) return undefined;
  const input = cx.float(op.operand(0), m.type);
  return tpu.pad(cx.b, { input }, { paddings: a.paddings, val: a.val, mode: a.mode }, at(op, cx, m.type)).result();
};

const upsample: FloatLowering = (op, cx, m) => {
  const a = top.upsampleAttrs(op);
  if (!staticShape(op) || isWeight(op.operand(0))) return undefined;
  const input = cx.float(op.operand(0), m.type);
  return tpu.upsample(cx.b, { input }, { scale_h: a.scale_h, scale_w: a.scale_w, do_relu: a.do_relu, relu_limit: a.relu_limit }, at(op, cx, m.type)).result();
};

/** Deconv (2-D, weight filter): the filter in the mode's type, the bias kept f32 (Deconv.cpp). */
const deconv: FloatLowering = (op, cx, m) => {
  const a = top.deconvAttrs(op);
  const biasV = op.operands[2];
  if (a.kernel_shape.length !== 2 || !staticShape(op) || !isWeight(op.operand(1)) || (!isNone(biasV) && !isWeight(biasV))) return undefined;
  const filter = cx.floatWeight(op.operand(1), m.type, op);
  if (!filter) return undefined;
  const input = cx.float(op.operand(0), m.type);
  const withBias = !isNone(biasV);
  return tpu.deconv(
    cx.b,
    { input, filter, ...(withBias ? { bias: biasV! } : {}) },
    {
      kernel_shape: a.kernel_shape, strides: a.strides, pads: a.pads, group: a.group, dilations: a.dilations,
      output_padding: a.output_padding, do_relu: a.do_relu, relu_limit: a.relu_limit, with_bias: withBias,
    },
    at(op, cx, m.type),
  ).result();
};

/** The lowerings of this file, by top op type (MatMul is tried after the weight form in lower-float.ts). */
export const EXTRA_FLOAT_LOWERINGS: Readonly<Record<string, FloatLowering>> = {
  'top.LayerNorm': layerNorm,
  'top.GELU': gelu,
  'top.HardSwish': hardSwish,
  'top.HardSigmoid': hardSigmoid,
  'top.MulConst': mulConst,
  'top.AddConst': addConst,
  'top.Scale': scale,
  'top.Slice': slice,
  'top.Permute': permute,
  'top.Concat': concat,
  'top.Mul': mul,
  'top.Sub': sub,
  'top.Pad': pad,
  'top.Upsample': upsample,
  'top.Deconv': deconv,
};
