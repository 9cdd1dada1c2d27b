// INT8 tpu.MatMul on the wasm backend (assembly/matmul.ts): matmul.ts's js arithmetic code for code
// (int32 sums plus the int32 bias, mulShiftHalfUp per column or per tensor, zero point, clamp),
// for a constant 2-D right operand, which is converted to i16 rows once per op.
import type { NdArray, Op } from '@tpu-quant/ir';
import type { KernelContext } from '@tpu-quant/runtime';
import { allocOut } from '@tpu-quant/runtime';
import { matMulAttrs } from '../dialect/generated/attrs.js';
import { exactWeight, operandData, operandQuant, outShapeOf, quantOf, reluBounds } from './common.js';
import { int8Heap, int8Wasm, perChannel, requantRecords, residentFor, writeRecords } from './wasm-int8.js';

const CODE_MAX = 255;

const supported = new WeakMap<Op, boolean>();

/** Static checks, once per op: 8-bit quantized left operand and result, MultiplierShift, a 2-D
 * weight on the right, no transposes but the right one, no zero points. */
export function matmulWasmSupports(op: Op): boolean {
  let ok = supported.get(op);
  if (ok !== undefined) return ok;
  const a = matMulAttrs(op);
  const t = op.results[0]?.type;
  const outQ = t?.kind === 'tensor' ? quantOf(t) : undefined;
  const inQ = operandQuant(op, 0);
  const right = op.operands[1];
  ok = !!int8Wasm && !!outQ && !!inQ && outQ.bits === 8 && inQ.bits === 8 && a.quant_mode === 'MultiplierShift' &&
    !a.left_transpose && !a.output_transpose && !a.hdim_is_batch && a.right_zp === 0 && a.input_zp === 0 &&
    right?.producer?.type === 'top.Weight' && right.type.kind === 'tensor' && right.type.shape.length === 2;
  supported.set(op, ok);
  return ok;
}

/** The wasm result, or undefined when this op's data rules the kernel out (the caller runs js). */
export function matmulWasm(ctx: KernelContext): NdArray | undefined {
  const k = int8Wasm!;
  const heap = int8Heap!;
  const a = matMulAttrs(ctx.op);
  const x = operandData(ctx, 0).data as Float32Array;
  const wArr = operandData(ctx, 1);
  const w = wArr.data as Float32Array;
  const [r0, r1] = wArr.shape as [number, number];
  const [kk, nOut] = a.right_transpose ? [r1, r0] : [r0, r1];
  const kpad = Math.ceil(kk / 8) * 8;
  const bias = ctx.inputs[2] ? exactWeight(ctx, 2) : undefined;
  const outQ = quantOf(ctx.outputTypes[0])!;
  const [lo, hi] = reluBounds(outQ, a.do_relu, a.relu_limit);
  if (x.length % kk !== 0) return undefined;
  const rows = x.length / kk;

  const res = residentFor(ctx.op, [w, bias], (alloc) => {
    const absSum = new Array<number>(nOut).fill(0);
    for (const v of w) if (!Number.isInteger(v) || v < -32768 || v > 32767) return undefined;
    const at = (t: number, j: number): number => w[a.right_transpose ? j * kk + t : t * nOut + j]!;
    const bs = Array.from({ length: nOut }, (_, j) => (bias ? Number(bias[j]) : 0));
    const m = perChannel(a.multipliers, nOut);
    const r = perChannel(a.rshifts, nOut);
    for (let j = 0; j < nOut; j++) for (let t = 0; t < kk; t++) absSum[j] += Math.abs(at(t, j));
    const rec = requantRecords(absSum.map((s) => s * CODE_MAX), bs, m, r, outQ.zeroPoint, lo, hi);
    if (!rec) return undefined;
    const params = writeRecords(alloc, rec);
    // W as n rows of kpad i16 (row j = column j of the right operand), zero tail
    const ptr = alloc(nOut * kpad * 2);
    const d = heap.i16(ptr, nOut * kpad);
    d.fill(0);
    for (let j = 0; j < nOut; j++) for (let t = 0; t < kk; t++) d[j * kpad + t] = at(t, j);
    return [params, ptr];
  });
  if (!res) return undefined;
  const [params, wp] = res as [number, number];

  heap.resetScratch();
  const xp = heap.put(x);
  const y = heap.scratch(rows * nOut * 4);
  const xr = heap.scratch(kpad * 2);
  k.matmul(xp, rows, kk, nOut, wp, kpad, params, lo, hi, outQ.zeroPoint, y, xr);
  const out = allocOut(ctx, outShapeOf(ctx));
  (out.data as Float32Array).set(heap.f32(y, rows * nOut));
  return out;
}
