// BM1684's shift-only INT8 convolution (tpu.Conv2D, quant_mode OnlyShift; spec deploy.md §3.11) on
// a hand-computed case, and on random shapes (groups, depthwise, strides, dilation, asymmetric
// pads, fused ReLU, per-layer and per-channel shifts) against a BigInt reference:
// y = saturate(RightShiftRound(Σ Wq·q + bias, r, HalfUp)).
import { describe, expect, it } from 'vitest';
import { f32, Func, i16, i8, Module, ndarray, OpBuilder, tensorType, ui8, uniformType, type NdArray, type Op, type TensorType } from '@tpu-quant/ir';
import { getKernel } from '@tpu-quant/runtime';
import { rightShiftRoundBig, tpu } from '../src/index.js';

function run(op: Op, inputs: (NdArray | undefined)[]): Float32Array {
  const k = getKernel(op.type, 'js')!;
  return k.run({ op, inputs, outputTypes: op.results.map((r) => r.type as TensorType), weights: new Map() })[0]!.data as Float32Array;
}

function builder() {
  const f = new Module('k').addFunc(new Func('main'));
  return { b: new OpBuilder(f), arg: (shape: number[], el: Parameters<typeof tensorType>[1] = f32) => f.addArgument(tensorType(shape, el)) };
}

const arr = (shape: number[], v: ArrayLike<number>) => ndarray('f32', shape, Float32Array.from(v));

describe('tpu.Conv2D OnlyShift (BM1684 INT8)', () => {
  it('adds the int16 bias to the accumulator, shifts once with HalfUp, saturates, clamps ReLU at 0', () => {
    const { b, arg } = builder();
    const op = tpu.conv2D(
      b,
      { input: arg([1, 1, 2, 2], uniformType(i8, 0.1)), filter: arg([2, 1, 1, 1], i8), bias: arg([2], i16) },
      { kernel_shape: [1, 1], with_bias: true, do_relu: true, rshift: [2], quant_mode: 'OnlyShift' },
      { loc: 'c', resultType: tensorType([1, 2, 2, 2], uniformType(ui8, 0.05)) },
    );
    // ch0: q·3 + 2 → 32, -7, 302, 2 → >>2 HalfUp: 8, -1.75→-2→0 (ReLU), 75.5→76, 0.5→1
    // ch1: q·(-100) + 1000 → 0, 1300, -9000, 1000 → 0, 325, -2250→0, 250; 325 saturates at 255
    const y = run(op, [arr([1, 1, 2, 2], [10, -3, 100, 0]), arr([2, 1, 1, 1], [3, -100]), arr([2], [2, 1000])]);
    expect([...y]).toEqual([8, 0, 76, 1, 0, 255, 0, 250]);
  });

  it('leaves relu_limit out of an integer result (TPU-MLIR sets it to -1 for INT8)', () => {
    const { b, arg } = builder();
    const op = tpu.conv2D(
      b,
      { input: arg([1, 1, 1, 2], uniformType(i8, 1)), filter: arg([1, 1, 1, 1], i8) },
      { kernel_shape: [1, 1], do_relu: true, relu_limit: 6, rshift: [0], quant_mode: 'OnlyShift' },
      { loc: 'c', resultType: tensorType([1, 1, 1, 2], uniformType(i8, 1)) },
    );
    expect([...run(op, [arr([1, 1, 1, 2], [20, -5]), arr([1, 1, 1, 1], [1])])]).toEqual([20, 0]);
  });

  it('equals a BigInt reference on random shapes', () => {
    let s = 2024;
    const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
    for (let t = 0; t < 40; t++) {
      const group = [1, 2, 3][int(0, 2)]!;
      const depthwise = t % 5 === 0;
      const icg = depthwise ? 1 : int(1, 4);
      const ocg = depthwise ? 1 : int(1, 3);
      const ic = icg * group;
      const oc = ocg * group;
      const [kh, kw] = [int(1, 3), int(1, 3)];
      const [sh, sw] = [int(1, 3), int(1, 2)];
      const [dh, dw] = [int(1, 2), int(1, 2)];
      const pads = [int(0, 2), int(0, 2), int(0, 2), int(0, 2)];
      const [n, ih, iw] = [int(1, 2), int(kh * dh, 9), int(kw * dw, 9)];
      const oh = Math.floor((ih + pads[0]! + pads[2]! - (dh * (kh - 1) + 1)) / sh) + 1;
      const ow = Math.floor((iw + pads[1]! + pads[3]! - (dw * (kw - 1) + 1)) / sw) + 1;
      const unsignedIn = t % 2 === 0;
      const x = Array.from({ length: n * ic * ih * iw }, () => (unsignedIn ? int(0, 255) : int(-128, 127)));
      const w = Array.from({ length: oc * icg * kh * kw }, () => int(-128, 127));
      const bias = Array.from({ length: oc }, () => int(-32768, 32767));
      const perChannel = t % 3 === 0;
      const rshift = perChannel ? Array.from({ length: oc }, () => int(0, 14)) : [int(0, 14)];
      const doRelu = t % 4 === 1;
      const outEl = t % 2 === 0 ? ui8 : i8;
      const { b, arg } = builder();
      const op = tpu.conv2D(
        b,
        { input: arg([n, ic, ih, iw], uniformType(unsignedIn ? ui8 : i8, 0.1)), filter: arg([oc, icg, kh, kw], i8), bias: arg([oc], i16) },
        { kernel_shape: [kh, kw], strides: [sh, sw], dilations: [dh, dw], pads, group, with_bias: true, do_relu: doRelu, rshift, quant_mode: 'OnlyShift' },
        { loc: 'c', resultType: tensorType([n, oc, oh, ow], uniformType(outEl, 0.2)) },
      );
      const got = run(op, [arr([n, ic, ih, iw], x), arr([oc, icg, kh, kw], w), arr([oc], bias)]);
      const [lo, hi] = outEl === ui8 ? [0, 255] : [doRelu ? 0 : -128, 127];
      const want: number[] = [];
      for (let bb = 0; bb < n; bb++) {
        for (let o = 0; o < oc; o++) {
          const g = Math.floor(o / ocg);
          for (let y = 0; y < oh; y++) {
            for (let xo = 0; xo < ow; xo++) {
              let acc = BigInt(bias[o]!);
              for (let c = 0; c < icg; c++) {
                for (let ky = 0; ky < kh; ky++) {
                  for (let kx = 0; kx < kw; kx++) {
                    const iy = y * sh - pads[0]! + ky * dh;
                    const ix = xo * sw - pads[1]! + kx * dw;
                    if (iy < 0 || iy >= ih || ix < 0 || ix >= iw) continue;
                    acc += BigInt(x[((bb * ic + g * icg + c) * ih + iy) * iw + ix]!) * BigInt(w[((o * icg + c) * kh + ky) * kw + kx]!);
                  }
                }
              }
              const r = Number(rightShiftRoundBig(acc, rshift[perChannel ? o : 0]!, 'HalfUp'));
              want.push(Math.min(hi, Math.max(lo, r)));
            }
          }
        }
      }
      expect([...got], `case ${t}`).toEqual(want);
    }
  });
});
