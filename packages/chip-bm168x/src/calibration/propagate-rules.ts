// The backward and multi-operand rules of `calibration_process` (TopToTpuPass.cpp), and the
// one-level forward/backward helpers they share with propagate.ts. Each rule returns true when
// it changed a type.
//
// Deliberate difference from TPU-MLIR: backward rules never give a top.Weight a calibrated type
// (TPU-MLIR would, for a Relu or Concat of a constant; weights are quantized by their consumer).
import type { Op, Value } from '@tpu-quant/ir';
import { calibratedType } from '@tpu-quant/ir';
import { boolAttrTrue, calibratedOf, numAttr, sameRange, setCalibrated, setElement } from './calibrated.js';

/** `ForwardOp`: the op's output takes its input's element type. */
export function forwardOp(op: Op): boolean {
  const t = op.operand(0).type;
  return t.kind === 'tensor' ? setElement(op.result(0), t.element) : false;
}

/** `Forward(out)`: Reshape / Permute users of `out` take its range (one level). */
export function forwardUsers(out: Value): void {
  for (const u of out.uses) if (u.op.type === 'top.Reshape' || u.op.type === 'top.Permute') forwardOp(u.op);
}

/** `Backward(in)`: a Reshape / Permute / Depth2Space producing `in` gets its range on its input. */
function backwardProducer(v: Value): void {
  const p = v.producer;
  if (!p || !['top.Reshape', 'top.Permute', 'top.Depth2Space'].includes(p.type)) return;
  const t = v.type;
  if (t.kind === 'tensor' && !isWeight(p.operand(0))) setElement(p.operand(0), t.element);
}

const isWeight = (v: Value): boolean => v.producer?.type === 'top.Weight';

/**
 * `BackwardCalibartion<Op, KeepMin>` (Relu, MaxPool, Depth2Space, Abs; PRelu/LeakyRelu with
 * keepMin): an input used only here takes the output's range (keepMin: the output's max with
 * the input's own min), then its Reshape/Permute/Depth2Space producer too.
 */
export function backwardRange(op: Op, keepMin: boolean): boolean {
  const inp = op.operand(0);
  const outR = calibratedOf(op.result(0));
  if (!outR || inp.uses.length !== 1 || isWeight(inp) || inp.type.kind !== 'tensor') return false;
  const inR = calibratedOf(inp);
  if (inR && inR.max === outR.max && (keepMin || inR.min === outR.min)) return false;
  if (keepMin && !inR) return false;
  const target = keepMin ? calibratedType(inR!.min, outR.max, outR.expressed) : outR;
  if (!setElement(inp, target)) return false;
  backwardProducer(inp);
  return true;
}

/**
 * `BackwardMutiInSingleOut` (Concat, Min, Max): when every input is calibrated and used only here
 * (or also by MaxPools): inputs that all share one range pass it to the output; otherwise every
 * input takes the output's range. A Concat whose inputs differ in sign is left alone.
 */
export function backwardMultiIn(op: Op): boolean {
  const ins = op.operands;
  for (const v of ins) {
    if (!calibratedOf(v)) return false;
    if (v.uses.length !== 1 && v.uses.some((u) => u.op.type !== 'top.MaxPool' && u.op !== op)) return false;
  }
  const out = op.result(0);
  const outR = calibratedOf(out);
  if (!outR) return false;
  const r0 = calibratedOf(ins[0]!)!;
  const ranges = ins.map((v) => calibratedOf(v)!);
  if (op.type === 'top.Concat' && ranges.some((r) => r.min >= 0 !== r0.min >= 0)) return false;
  if (ranges.every((r) => sameRange(r, r0))) return sameRange(outR, r0) ? false : setElement(out, r0);
  let changed = false;
  for (const v of ins) {
    changed = setElement(v, outR) || changed;
    backwardProducer(v);
  }
  return changed;
}

/**
 * `BackwardAddThToMuls` (BM1684X family): an Add whose inputs are all single-use Mul outputs
 * gives them its range.
 */
export function backwardAddToMuls(op: Op): boolean {
  const outR = calibratedOf(op.result(0));
  if (!outR) return false;
  for (const v of op.operands) if (!calibratedOf(v) || v.producer?.type !== 'top.Mul' || v.uses.length !== 1) return false;
  let changed = false;
  for (const v of op.operands) {
    changed = setElement(v, outR) || changed;
    backwardProducer(v);
  }
  return changed;
}

/** `CompareCalibartion`: both sides of a Compare get the union of their ranges. */
export function compareRange(op: Op): boolean {
  const [l, r] = [op.operand(0), op.operand(1)];
  const lr = calibratedOf(l);
  const rr = calibratedOf(r);
  if (!lr || !rr || sameRange(lr, rr)) return false;
  const t = calibratedType(Math.min(lr.min, rr.min), Math.max(lr.max, rr.max), lr.expressed);
  const a = setElement(l, t);
  const b = setElement(r, t);
  return a || b;
}

/**
 * Shared part of `SelectiveWhere` / `SelectiveMaskedFill`: an output range smaller than the
 * constant it may hold grows to it (min −0.1·c when anything is signed). Returns whether it grew
 * and whether the type changed.
 */
function growToConst(out: Value, constV: number, constSigned: boolean): { grown: boolean; changed: boolean } {
  const outR = calibratedOf(out)!;
  if (!(outR.max < constV)) return { grown: false, changed: false };
  const min = constSigned || outR.min < 0 ? -constV * 0.1 : 0;
  return { grown: true, changed: setCalibrated(out, min, constV, outR.expressed) };
}

/** A branch takes the output's range; undefined when the branch has no range (rule stops). */
function branchTakes(v: Value, outMin: number, outMax: number): boolean | undefined {
  const r = calibratedOf(v);
  if (!r) return undefined;
  return setCalibrated(v, outMin, outMax, r.expressed);
}

/**
 * `SelectiveWhere`: the output range covers the constant branch values; then the tensor branches
 * take the output's range, unless the output grew or the Where stays float (qtable F32/F16).
 */
export function selectiveWhere(op: Op, floatWhere: boolean): boolean {
  const out = op.result(0);
  const outR = calibratedOf(out);
  if (!outR) return false;
  const xConst = boolAttrTrue(op, 'x_is_const');
  const yConst = boolAttrTrue(op, 'y_is_const');
  let constV = 0;
  let constSigned = false;
  if (yConst) {
    const c = Math.fround(numAttr(op, 'y_const_val', 0));
    constSigned = c < 0;
    constV = Math.abs(c);
  }
  if (xConst) {
    const c = Math.fround(numAttr(op, 'x_const_val', 0));
    constSigned ||= c < 0;
    constV = Math.max(Math.abs(c), constV);
  }
  const g = growToConst(out, constV, constSigned);
  let changed = g.changed;
  if (g.grown || floatWhere) return changed;
  for (const [isConst, idx] of [[xConst, 1], [yConst, 2]] as const) {
    if (isConst) continue;
    const r = branchTakes(op.operand(idx), outR.min, outR.max);
    if (r === undefined) return changed;
    changed = r || changed;
  }
  return changed;
}

/**
 * `SelectiveMaskedFill`: as SelectiveWhere with `const_val` as the constant and `brn` as the
 * tensor branch; every operand must be calibrated and used only here.
 */
export function selectiveMaskedFill(op: Op, floatOp: boolean): boolean {
  for (const v of op.operands) if (!calibratedOf(v) || v.uses.length !== 1) return false;
  const out = op.result(0);
  const outR = calibratedOf(out);
  if (!outR) return false;
  const c = Math.fround(numAttr(op, 'const_val', 0));
  const g = growToConst(out, Math.abs(c), c < 0);
  if (g.grown || floatOp) return g.changed;
  return branchTakes(op.operand(1), outR.min, outR.max) ?? false;
}
