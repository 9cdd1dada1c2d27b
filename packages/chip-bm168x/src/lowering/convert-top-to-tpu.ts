// `convert-top-to-tpu{chip=bm1684x mode=INT8}`: lowers a calibrated top module (after
// importCalibration + propagateCalibration) to the `tpu` dialect, the first vertical slice of
// TPU-MLIR's --convert-top-to-tpu for the BM1684X family (spec deploy.md §3.5, §3.6, §3.10).
//
// Ops listed in INT8_LOWERINGS become integer tpu ops; Softmax becomes a float tpu.Softmax. Every
// other op (and any of those whose INT8 preconditions fail: no calibration, constant inputs,
// asymmetric-only paths, ...) is NOT lowered yet: it stays the top op, computing in f32, with
// dequantizing casts on its int8 inputs and its calibrated outputs made f32. Casts are inserted
// where an int8 value meets a float consumer and the other way round; network outputs are
// dequantized to f32.
//
// Deliberate differences from TPU-MLIR in this slice:
// - float fallbacks compute in F32 (TPU-MLIR uses the chip's F16 for BM1684X-family fallbacks,
//   deploy.md §3.8) and keep their top op type;
// - Softmax is always float (TPU-MLIR has an INT8 exp-table kernel for axis 1, rank ≤ 4);
// - no qtable, no --asymmetric (refused), no F16/BF16/F32 modes (refused), no canonicalize or
//   weight-fold afterwards; unused float weights are erased.
import type { Module, Op, TensorType, Value } from '@tpu-quant/ir';
import { eraseDeadOps, stringAttr, tensorType, top, UserError, verifyModule } from '@tpu-quant/ir';
import { softmax as tpuSoftmax } from '../dialect/generated/builders.js';
import { LoweringContext } from './context.js';
import { INT8_LOWERINGS } from './lower-int8.js';

export interface LowerOptions {
  /** Processor name (bm1684x, bm1688, bm1690, cv186x). */
  readonly chip: string;
  readonly mode: string;
  readonly asymmetric?: boolean;
}

export interface LowerReport {
  /** How many top ops became INT8 tpu ops. */
  readonly int8: number;
  /** Top op types left in float (with casts), and how many of each. */
  readonly float: Map<string, number>;
  /** tpu.Cast ops inserted. */
  readonly casts: number;
}

const PASS_THROUGH = new Set(['top.Weight', 'top.None', 'top.Input', 'func.return']);

export function lowerTopToTpu(module: Module, opts: LowerOptions): LowerReport {
  if (opts.mode !== 'INT8') {
    throw new UserError('E_UNSUPPORTED_MODE', `convert-top-to-tpu: mode ${opts.mode} is not lowered yet`, 'this slice lowers INT8 only (F32/F16/BF16 come next)');
  }
  if (opts.asymmetric) throw new UserError('E_UNSUPPORTED_MODE', 'convert-top-to-tpu: asymmetric INT8 is not lowered yet', 'lower symmetric INT8');
  const state = module.attrs.get('module.state');
  if (state?.kind !== 'string' || state.value !== 'TOP_CALIBRATED') {
    throw new UserError('E_MODULE_STATE', `convert-top-to-tpu{mode=INT8} needs a calibrated module, this one is in state ${state?.kind === 'string' ? state.value : '(none)'}`, 'import a calibration table first (importCalibration, propagateCalibration)');
  }
  const cx = new LoweringContext(module, false);
  const f = module.main;
  const castsBefore = countCasts(module);
  let int8 = 0;
  const float = new Map<string, number>();
  for (const op of [...f.ops]) {
    if (op.type === 'top.Input') {
      for (const r of op.results) cx.makeFloat(r);
      continue;
    }
    if (PASS_THROUGH.has(op.type)) continue;
    const lowered = INT8_LOWERINGS[op.type]?.(op, cx);
    if (lowered) {
      op.result().replaceAllUsesWith(lowered);
      op.erase();
      int8++;
      continue;
    }
    if (op.type === 'top.Softmax' && op.results.length === 1) {
      const a = top.softmaxAttrs(op);
      const input = cx.float(op.operand(0));
      cx.makeFloat(op.result());
      cx.b.setInsertionPointBefore(op);
      const out = tpuSoftmax(cx.b, { input }, { axis: a.axis, log: a.log, beta: a.beta }, { loc: op.loc, resultType: op.result().type as TensorType }).result();
      replaceKeepingRange(cx, op, out);
      float.set(op.type, (float.get(op.type) ?? 0) + 1);
      continue;
    }
    keepFloat(op, cx);
    float.set(op.type, (float.get(op.type) ?? 0) + 1);
  }
  // network outputs in f32
  const ret = f.returnOp;
  if (ret) {
    ret.setOperands(ret.operands.map((v) => cx.float(v)));
    f.resultTypes = ret.operands.map((v) => (v.type.kind === 'tensor' ? tensorType(v.type.shape, elementForReturn(v.type)) : v.type));
  }
  eraseDeadOps(f);
  module.attrs.set('module.state', stringAttr('TPU_LOWERED'));
  module.attrs.set('module.chip', stringAttr(opts.chip.toLowerCase()));
  module.attrs.set('module.mode', stringAttr(opts.mode));
  verifyModule(module);
  return { int8, float, casts: countCasts(module) - castsBefore };
}

function elementForReturn(t: TensorType) {
  return t.element.kind === 'quant.calibrated' ? t.element.expressed : t.element;
}

/** A top op left in float: its int8 operands dequantized, its calibrated results made f32. */
function keepFloat(op: Op, cx: LoweringContext): void {
  op.operands.forEach((v, i) => {
    const fv = cx.float(v);
    if (fv !== v) op.setOperand(i, fv);
  });
  for (const r of op.results) cx.makeFloat(r);
}

function replaceKeepingRange(cx: LoweringContext, op: Op, out: Value): void {
  const range = cx.rangeOf(op.result());
  op.result().replaceAllUsesWith(out);
  op.erase();
  if (range) cx.recordRange(out, range);
}

function countCasts(m: Module): number {
  return m.main.ops.filter((o) => o.type === 'tpu.Cast').length;
}
