// Which tpu ops the fast kernels (fast-int8.ts, fast-movement.ts) take on the `wasm` backend, and
// when: each entry's `supports` looks at the op's types and attributes only (plan time); its `run`
// may still return undefined for data past its exact ranges, and then the js kernel runs.
import type { NdArray, Op } from '@tpu-quant/ir';
import type { KernelContext } from '@tpu-quant/runtime';
import { padAttrs, pool2DAttrs, requantIntAttrs, requantIntAxisAttrs } from '../dialect/generated/attrs.js';
import { quantOf } from './common.js';
import { addConstInt8Fast, addInt8Fast, castFast, deconvInt8Fast, lutFast, mulInt8Fast, mulShiftFast, requantIntAxisFast, requantIntFast } from './fast-int8.js';
import { softmaxFast } from './fast-float.js';
import { concatFast, padFast, permuteFast, pool2dFast, scaleFast, sliceFast, upsampleFast } from './fast-movement.js';

export interface FastPath {
  readonly supports: (op: Op) => boolean;
  readonly run: (ctx: KernelContext) => NdArray | undefined;
}

const tensorOf = (v: Op['results'][number] | undefined) => (v?.type.kind === 'tensor' ? v.type : undefined);
/** Result 0 is int8 / uint8 (a `!quant.uniform` type). */
const quantResult = (op: Op): boolean => quantOf(tensorOf(op.results[0])) !== undefined;
const quantOperand = (op: Op, i: number): boolean => quantOf(tensorOf(op.operands[i])) !== undefined;
const always = (): boolean => true;

export const FAST_PATHS: Readonly<Record<string, FastPath>> = {
  'tpu.MulShift': { supports: quantResult, run: mulShiftFast },
  'tpu.AddConst': { supports: quantResult, run: addConstInt8Fast },
  'tpu.Mul': { supports: quantResult, run: mulInt8Fast },
  'tpu.Add': { supports: quantResult, run: addInt8Fast },
  'tpu.Cast': { supports: (op) => !(quantResult(op) && quantOperand(op, 0)), run: castFast },
  'tpu.RequantInt': { supports: (op) => quantResult(op) && requantIntAttrs(op).quant_mode === 'MultiplierShift', run: requantIntFast },
  'tpu.RequantIntAxis': {
    supports: (op) => {
      const a = requantIntAxisAttrs(op);
      return quantResult(op) && a.quant_mode === 'MultiplierShift' && !a.fuse_rq_axis && a.rq_axis === 1;
    },
    run: requantIntAxisFast,
  },
  'tpu.Deconv': { supports: (op) => tensorOf(op.results[0])?.element.kind === 'int' && quantOperand(op, 0), run: deconvInt8Fast },
  'tpu.Concat': { supports: always, run: concatFast },
  'tpu.Slice': { supports: always, run: sliceFast },
  'tpu.Permute': { supports: always, run: permuteFast },
  'tpu.Upsample': { supports: always, run: upsampleFast },
  'tpu.Pad': {
    supports: (op) => {
      const a = padAttrs(op);
      return a.mode === 'constant' && a.paddings.length > 0 && a.paddings.every((p) => p >= 0);
    },
    run: padFast,
  },
  'tpu.Pool2D': {
    supports: (op) => {
      const a = pool2DAttrs(op);
      return !(quantResult(op) && a.pool_mode === 'Avg' && a.scale !== undefined);
    },
    run: pool2dFast,
  },
  'tpu.Scale': { supports: (op) => !quantResult(op), run: scaleFast },
  'tpu.Lut': { supports: always, run: lutFast },
  'tpu.Softmax': { supports: always, run: softmaxFast },
};
