// Float (F32 / F16 / BF16) tpu.Add, tpu.Mul, tpu.AddConst, tpu.MulConst, tpu.Active and tpu.Deconv
// on the wasm backend: the runtime's wasm top kernels (Add / Mul with numpy broadcasting, the
// *Const rows, the SIMD activations, the GEMM + col2im Deconv) run on the inputs as floatIn gives
// them, through a top op carrying the tpu op's attributes, and the result is rounded in place to
// the element type (floatOut's rounding). These compute in f32, as upstream's interpreter does for
// F16 / BF16 (it converts to f32, computes and rounds the output); the js kernels (f64) stay the
// reference. Active modes without a wasm top kernel (GELU, TGELU, QGELU, LOG, SQRT, ABS) run the
// js function in one pass into the session's buffer, rounded in place, without the extra copies.
import type { NdArray, Value } from '@tpu-quant/ir';
import { boolAttr, floatAttr, Op } from '@tpu-quant/ir';
import type { Kernel, KernelContext } from '@tpu-quant/runtime';
import { allocOut, getKernel } from '@tpu-quant/runtime';
import { activeAttrs, deconvAttrs } from '../dialect/generated/attrs.js';
import { ACTIVE_FUNCTIONS } from './active-functions.js';
import { floatIn, floatNameOf, outShapeOf, roundFloatInPlace, roundingAttrs, roundsInRuntime } from './common.js';

const FLOATS = new Set(['f32', 'f16', 'bf16']);
const isFloat = (v: Value | undefined): boolean => v?.type.kind === 'tensor' && FLOATS.has(floatNameOf(v.type) ?? '');

/** Every present operand (a `none` bias aside) and the result float (int8 / uint8 forms keep their integer kernels). */
const allFloat = (op: Op): boolean =>
  isFloat(op.operands[0]) && op.operands.every((v) => v.type.kind !== 'tensor' || isFloat(v)) && isFloat(op.results[0]);

/** The top op each tpu op runs as: its kind and attributes (null: no wasm top kernel for it). */
function topFormOf(op: Op): { type: string; attrs: Op['attrs'] } | null {
  switch (op.type) {
    case 'tpu.Add': return { type: 'top.Add', attrs: op.attrs };
    case 'tpu.Mul': return { type: 'top.Mul', attrs: op.attrs };
    case 'tpu.AddConst': return { type: 'top.AddConst', attrs: op.attrs };
    case 'tpu.MulConst': return { type: 'top.MulConst', attrs: op.attrs };
    case 'tpu.Deconv': return { type: 'top.Deconv', attrs: op.attrs };
    case 'tpu.Active': return activeTopForm(op);
    default: return null;
  }
}

/** tpu.Active modes with the same function as a wasm top activation (active-functions.ts). */
function activeTopForm(op: Op): { type: string; attrs: Op['attrs'] } | null {
  const a = activeAttrs(op);
  const attrs = (r: Record<string, ReturnType<typeof floatAttr> | ReturnType<typeof boolAttr>>): Op['attrs'] => new Map(Object.entries(r));
  switch (a.mode) {
    case 'SIGMOID': return { type: 'top.Sigmoid', attrs: attrs({ scale: floatAttr(1), bias: floatAttr(0), log: boolAttr(false) }) };
    case 'SILU': return { type: 'top.SiLU', attrs: attrs({}) };
    case 'TANH': return { type: 'top.Tanh', attrs: attrs({}) };
    case 'EXP': return { type: 'top.Exp', attrs: attrs({}) };
    case 'HSWISH': return { type: 'top.HardSwish', attrs: attrs({}) };
    case 'HSIGMOID': {
      // coeffs as the lowering writes them: [beta, alpha]
      const [beta = 0.5, alpha = 1 / 6] = a.coeffs ?? [];
      return { type: 'top.HardSigmoid', attrs: attrs({ alpha: floatAttr(alpha), beta: floatAttr(beta) }) };
    }
    default: return null;
  }
}

/**
 * The adapter top op, made once per tpu op (the runtime keys resident weights by op). Its operands
 * are detached stand-ins of the same types (and producer kind: top.Deconv asks for a top.Weight
 * filter), so the top kernels' shape checks see the tpu op's shapes and the graph gains no uses.
 */
const adapters = new WeakMap<Op, Op | null>();

function adapterOf(op: Op): Op | null {
  let a = adapters.get(op);
  if (a !== undefined) return a;
  const form = topFormOf(op);
  // the runtime's wasm kernels not loaded yet: ask again later
  if (form && !getKernel(form.type, 'wasm')) return null;
  a = null;
  if (form) {
    const standIn = (v: Value): Value =>
      new Op(v.producer?.type === 'top.Weight' ? 'top.Weight' : 'top.Input', { resultTypes: [v.type] }).result(0);
    a = new Op(form.type, { loc: op.loc, operands: op.operands.map(standIn), resultTypes: op.results.map((r) => r.type) });
    a.attrs = roundingAttrs(op, form.attrs); // + round_result for f16 / bf16
  }
  adapters.set(op, a);
  return a;
}

const topKernel = (op: Op): Kernel => getKernel(op.type, 'wasm')!;

/** Per op: does a wasm top kernel take it (asked again on every run, so kept). */
const answers = new WeakMap<Op, boolean>();

export function floatEltwiseWasmSupports(op: Op): boolean {
  const known = answers.get(op);
  if (known !== undefined) return known;
  let ok = allFloat(op);
  if (ok && op.type === 'tpu.Deconv') {
    const a = deconvAttrs(op);
    ok = a.kernel_shape.length === 2 && a.group === 1;
  }
  const adapter = ok ? adapterOf(op) : null;
  if (ok && !adapters.has(op)) return false; // not known yet (see adapterOf)
  ok = !!adapter && (topKernel(adapter).supports?.(adapter) ?? true);
  answers.set(op, ok);
  return ok;
}

/** Runs the top kernel on the rounded inputs and rounds its result in place to the element type. */
export function floatEltwiseWasm(ctx: KernelContext): NdArray {
  const adapter = adapterOf(ctx.op)!;
  const inputs = ctx.inputs.map((x, i) => (x ? floatIn(ctx, i) : x));
  const out = topKernel(adapter).run({ ...ctx, op: adapter, inputs })[0]!;
  if (!roundsInRuntime(adapter.attrs)) roundFloatInPlace(floatNameOf(ctx.outputTypes[0]), out.data as Float32Array);
  return out;
}

/** Float tpu.Active modes the wasm top kernels do not cover: the js function, in one pass. */
export function floatActiveJsSupports(op: Op): boolean {
  return op.type === 'tpu.Active' && allFloat(op) && ACTIVE_FUNCTIONS[activeAttrs(op).mode] !== undefined;
}

export function floatActiveJs(ctx: KernelContext): NdArray {
  const a = activeAttrs(ctx.op);
  const f = ACTIVE_FUNCTIONS[a.mode]!(a.coeffs ?? []);
  const x = floatIn(ctx, 0).data as Float32Array;
  const out = allocOut(ctx, outShapeOf(ctx));
  const od = out.data as Float32Array;
  for (let i = 0; i < x.length; i++) od[i] = f(x[i]!);
  roundFloatInPlace(floatNameOf(ctx.outputTypes[0]), od);
  return out;
}
