// INT8 lowerings of the elementwise arithmetic ops for the BM1684X family (spec deploy.md §3.10
// Add / Mul / MulConst, upstream BM1684X/{Add,Sub,Mul,MulConst,AddConst}.cpp). Asymmetric: Add,
// Sub and Mul stay float (upstream lowers them in F32, convert-top-to-tpu.ts picks the type),
// AddConst stays float (F16 upstream); MulConst is a tpu.MulShift between the zero points:
//   Add       tpu.Add, per input 8-bit (m_i, r_i); a constant input is quantized with its own scale
//   Sub       tpu.Sub, per input 8-bit (m_i, r_i); a constant input with the output scale
//   Mul       tpu.Mul, one 8-bit (m, r) for S_1·S_2/So; a constant input with its own scale
//   MulConst  tpu.MulShift, (m, r) for Si/So·c
//   AddConst  tpu.AddConst, (m, r) = 8-bit positive-shift Si/So, const_val = round(c/So) << r
// Quantized constants become new weights `<weight>_i8` / `<weight>_u8`.
//
// Deliberate difference from TPU-MLIR: an Add or Mul of an activation and a one-element constant
// lowers as AddConst / MulConst. TPU-MLIR's top canonicalization rewrites them so (AddToAddConst,
// MulToMulConst) before calibration; our model_transform does not yet, and the general forms
// carry the constant at its own 8-bit scale, a systematic error the Const forms avoid.
import type { Op, TensorType, Value } from '@tpu-quant/ir';
import { ndarray, top } from '@tpu-quant/ir';
import { getScaleAndShiftPositive } from '../quant/multiplier.js';
import { roundHalfAwayFromZero } from '../quant/rounding.js';
import * as tpu from '../dialect/generated/builders.js';
import { addMultipliersBM1684X, mulConstMultiplierBM1684X, mulMultiplierBM1684X, subMultipliersBM1684X, type EltwiseInput, type EltwiseMultipliers } from '../quant/eltwise.js';
import type { LoweringContext } from './context.js';
import { paramsOf, paramsOfType } from './context.js';
import { at, isWeight, weightData, type Int8Lowering } from './int8-common.js';
import { mulConstIntoConv } from './lower-int8-conv.js';

interface Operands {
  /** The int8 value of each activation operand (undefined for a constant). */
  readonly values: (Value | undefined)[];
  readonly specs: EltwiseInput[];
  readonly outT: TensorType;
}

/** Activation operands as int8, constants as data; undefined when one cannot be (→ float). */
function operandsOf(op: Op, cx: LoweringContext): Operands | undefined {
  if (cx.asymmetric) return undefined;
  const outT = cx.quantTypeOf(op.result());
  if (!outT) return undefined;
  const values: (Value | undefined)[] = [];
  const specs: EltwiseInput[] = [];
  for (const v of op.operands) {
    if (isWeight(v)) {
      const w = weightData(cx, v);
      if (!w) return undefined;
      values.push(undefined);
      specs.push({ constant: w.data as Float32Array });
      continue;
    }
    const q = cx.int8(v);
    // a zero-point input (an #asym_op output in a symmetric module) has no place in these ops
    if (!q || paramsOf(q)!.zeroPoint !== 0) return undefined;
    values.push(q);
    specs.push({ scale: paramsOf(q)!.scale });
  }
  // all-constant ops are folded by the importer; keep any that remain in float
  if (values.every((v) => v === undefined)) return undefined;
  return { values, specs, outT };
}

/** The operands with each constant replaced by its quantized weight. */
function withConstants(op: Op, cx: LoweringContext, o: Operands, ms: EltwiseMultipliers): Value[] {
  return o.values.map((v, i) => {
    if (v) return v;
    const c = ms.constants[i]!;
    const w = op.operand(i);
    const dtype = c.signed ? 'i8' : 'u8';
    return cx.weight(`${w.name ?? `${op.name ?? 'op'}_const${i}`}_${dtype}`, ndarray(dtype, [...(w.type as TensorType).shape], c.data), op);
  });
}

/** The activation operand and the value of a two-operand op's one-element constant operand. */
function scalarConstOf(op: Op, cx: LoweringContext): { input: Value; c: number } | undefined {
  if (op.operands.length !== 2) return undefined;
  for (const [k, other] of [[1, 0], [0, 1]] as const) {
    const w = isWeight(op.operand(k)) ? weightData(cx, op.operand(k)) : undefined;
    if (w && w.data.length === 1 && !isWeight(op.operand(other))) return { input: op.operand(other), c: Number(w.data[0]) };
  }
  return undefined;
}

/** x + c → tpu.AddConst (upstream BM1684X/AddConst.cpp). */
function addConstOf(op: Op, cx: LoweringContext, x: Value, c: number, relu: { do_relu: boolean; relu_limit: number }): Value | undefined {
  if (cx.asymmetric) return undefined;
  const input = cx.int8(x);
  const outT = cx.quantTypeOf(op.result());
  if (!input || !outT || paramsOf(input)!.zeroPoint !== 0) return undefined;
  const outScale = paramsOfType(outT).scale;
  const ms = getScaleAndShiftPositive(paramsOf(input)!.scale / outScale, 8);
  // C: static_cast<int>(round(c / So)) << rshift
  const constVal = roundHalfAwayFromZero(c / outScale) * 2 ** ms.shift;
  return tpu.addConst(cx.b, { input }, { const_val: constVal, do_relu: relu.do_relu, relu_limit: relu.relu_limit, multiplier: ms.multiplier, rshift: ms.shift }, at(op, cx, outT)).result();
}

/** x · c → the Conv before it with scaled weights (MergeMulConst), else tpu.MulShift (BM1684X/MulConst.cpp). */
function mulConstOf(op: Op, cx: LoweringContext, x: Value, c: number): Value | undefined {
  if (isWeight(x)) return undefined;
  const merged = mulConstIntoConv(op, cx, x, c);
  if (merged) return merged;
  const input = cx.int8(x);
  const outT = cx.quantTypeOf(op.result());
  if (!input || !outT) return undefined;
  const ms = mulConstMultiplierBM1684X(paramsOf(input)!.scale, paramsOfType(outT).scale, c);
  return tpu.mulShift(cx.b, { input }, { multiplier: ms.multiplier, rshift: ms.shift }, at(op, cx, outT)).result();
}

const add: Int8Lowering = (op, cx) => {
  const a = top.addAttrs(op);
  const sc = (a.coeff ?? []).every((k) => k === 1) ? scalarConstOf(op, cx) : undefined;
  if (sc) return addConstOf(op, cx, sc.input, sc.c, a);
  const o = operandsOf(op, cx);
  if (!o) return undefined;
  const ms = addMultipliersBM1684X(o.specs, paramsOfType(o.outT).scale, a.coeff);
  return tpu.add(
    cx.b,
    { inputs: withConstants(op, cx, o, ms) },
    { do_relu: a.do_relu, relu_limit: a.relu_limit, ...(a.coeff ? { coeff: a.coeff } : {}), multipliers: ms.multipliers, rshifts: ms.rshifts },
    at(op, cx, o.outT),
  ).result();
};

const sub: Int8Lowering = (op, cx) => {
  const a = top.subAttrs(op);
  if (a.is_reverse || op.operands.length !== 2) return undefined;
  const o = operandsOf(op, cx);
  if (!o) return undefined;
  const ms = subMultipliersBM1684X(o.specs, paramsOfType(o.outT).scale, a.coeff);
  return tpu.sub(
    cx.b,
    { inputs: withConstants(op, cx, o, ms) },
    { do_relu: a.do_relu, relu_limit: a.relu_limit, multipliers: ms.multipliers, rshifts: ms.rshifts },
    at(op, cx, o.outT),
  ).result();
};

const mul: Int8Lowering = (op, cx) => {
  const a = top.mulAttrs(op);
  if (op.operands.length !== 2) return undefined;
  const sc = a.do_relu ? undefined : scalarConstOf(op, cx);
  if (sc) return mulConstOf(op, cx, sc.input, sc.c);
  const o = operandsOf(op, cx);
  if (!o) return undefined;
  const ms = mulMultiplierBM1684X(o.specs, paramsOfType(o.outT).scale);
  return tpu.mul(
    cx.b,
    { inputs: withConstants(op, cx, o, ms) },
    { do_relu: a.do_relu, relu_limit: a.relu_limit, multiplier: ms.multipliers[0]!, rshift: ms.rshifts[0]! },
    at(op, cx, o.outT),
  ).result();
};

/** MulConst → tpu.MulShift. A fused ReLU keeps it float (MulShift has none; upstream drops it). */
const mulConst: Int8Lowering = (op, cx) => {
  const a = top.mulConstAttrs(op);
  return a.do_relu ? undefined : mulConstOf(op, cx, op.operand(0), a.const_val);
};

const addConst: Int8Lowering = (op, cx) => {
  const a = top.addConstAttrs(op);
  return isWeight(op.operand(0)) ? undefined : addConstOf(op, cx, op.operand(0), a.const_val, a);
};

/** The elementwise arithmetic ops lowered to INT8, by top op type. */
export const ELTWISE_LOWERINGS: Readonly<Record<string, Int8Lowering>> = {
  'top.Add': add,
  'top.Sub': sub,
  'top.Mul': mul,
  'top.MulConst': mulConst,
  'top.AddConst': addConst,
};
