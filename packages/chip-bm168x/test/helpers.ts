// Test helpers: a tiny top-module builder for the calibration and lowering tests (one function, one
// input `x`, ops added by the generated top builders, named by their loc), the lowering tests'
// small CNN, and seeded random data.
import type { Module, NdArray, TensorType, Value } from '@tpu-quant/ir';
import type { KernelContext } from '@tpu-quant/runtime';
import { expect } from 'vitest';
import { f32, Func, Module as IrModule, ndarray, Op, OpBuilder, tensorType, top } from '@tpu-quant/ir';
import { calibratedOf, type CalibrationRow } from '../src/index.js';

export class Graph {
  readonly module: Module = new IrModule('t', { 'module.state': { kind: 'string', value: 'TOP_F32' } });
  readonly b: OpBuilder;
  readonly x: Value;

  constructor(shape: number[] = [1, 2, 4, 4]) {
    const f = this.module.addFunc(new Func('main'));
    this.b = new OpBuilder(f);
    const arg = f.addArgument(tensorType(shape, f32));
    this.x = top.input(this.b, { input: arg }, {}, { loc: 'x' }).result();
  }

  weight(name: string, data: NdArray): Value {
    return this.b.weight(name, data);
  }

  /** The value named `name` (an op result). */
  v(name: string): Value {
    for (const op of this.module.main.ops) for (const r of op.results) if (r.name === name) return r;
    throw new Error(`no value ${name}`);
  }

  /** [min, max] of a calibrated value, or 'float'. */
  range(name: string): [number, number] | 'float' {
    const r = calibratedOf(this.v(name));
    return r ? [r.min, r.max] : 'float';
  }

  finish(...outs: Value[]): this {
    const f = this.b.func;
    f.resultTypes = outs.map((o) => o.type);
    f.append(new Op('func.return', { operands: outs }));
    return this;
  }
}

/** Rows from `name th min max` lines. */
export function rows(text: string): CalibrationRow[] {
  return text
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .map(([name, th, min, max]) => ({ name: name!, threshold: Number(th), min: Number(min), max: Number(max) }));
}

export { top };

/** A conv test case's dims: batch, channels, input size, kernel, strides, dilations, pads (t, l, b, r), group. */
export interface ConvCaseDims {
  readonly n?: number; readonly g?: number; readonly ic: number; readonly oc: number; readonly ih: number; readonly iw: number;
  readonly k: readonly number[]; readonly s?: readonly number[]; readonly d?: readonly number[]; readonly pads?: readonly number[];
}

/** The case's batch, group, kernel and result size, and its Conv2D attributes. */
export function convCaseGeometry(c: ConvCaseDims) {
  const n = c.n ?? 1, g = c.g ?? 1;
  const [kh, kw] = c.k as [number, number];
  const [sh, sw] = (c.s ?? [1, 1]) as [number, number];
  const [dh, dw] = (c.d ?? [1, 1]) as [number, number];
  const [pt, pl, pb, pr] = (c.pads ?? [0, 0, 0, 0]) as [number, number, number, number];
  const oh = Math.floor((c.ih + pt + pb - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((c.iw + pl + pr - dw * (kw - 1) - 1) / sw) + 1;
  const attrs = { kernel_shape: [kh, kw], strides: [sh, sw], dilations: [dh, dw], pads: [pt, pl, pb, pr], group: g };
  return { n, g, kh, kw, oh, ow, attrs };
}

/** Deterministic values in [offset - scale, offset + scale) (an LCG), so failures reproduce. */
export function rand(n: number, seed: number, scale = 1, offset = 0): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * scale + offset;
  }
  return out;
}

/**
 * The lowering tests' small CNN: conv `c1` (ReLU6) -> {depthwise conv `c2`, 1x1 conv `c3`} -> add
 * `sum` -> sigmoid `sig` -> avgpool `pool` (8x8; or 2x2 maxpool `mpool` then a 4x4 avgpool) ->
 * flatten `flat` -> matmul `fc`, returned; when asked, a softmax `prob` after it and `sum` are
 * returned too, in that order.
 */
export function smallCnn(o: { softmax?: boolean; maxPool?: boolean; sumOutput?: boolean } = {}): Module {
  const g = new Graph([1, 4, 8, 8]);
  const b = g.b;
  const w1 = g.weight('w1', ndarray('f32', [8, 4, 3, 3], rand(8 * 36, 1, 0.3)));
  const b1 = g.weight('b1', ndarray('f32', [8], rand(8, 2, 0.1)));
  const c1 = top.conv(b, { input: g.x, filter: w1, bias: b1 }, { kernel_shape: [3, 3], pads: [1, 1, 1, 1], do_relu: true, relu_limit: 6 }, { loc: 'c1' });
  const w2 = g.weight('w2', ndarray('f32', [8, 1, 3, 3], rand(72, 3, 0.5)));
  const c2 = top.conv(b, { input: c1, filter: w2 }, { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 8 }, { loc: 'c2' });
  const w3 = g.weight('w3', ndarray('f32', [8, 8, 1, 1], rand(64, 4, 0.4)));
  const c3 = top.conv(b, { input: c1, filter: w3 }, { kernel_shape: [1, 1] }, { loc: 'c3' });
  const s = top.add(b, { inputs: [c2, c3] }, {}, { loc: 'sum' });
  const sg = top.sigmoid(b, { input: s }, {}, { loc: 'sig' });
  const mp = o.maxPool ? top.maxPool(b, { input: sg }, { kernel_shape: [2, 2], strides: [2, 2] }, { loc: 'mpool' }) : undefined;
  const p = top.avgPool(b, { input: mp ?? sg }, { kernel_shape: mp ? [4, 4] : [8, 8] }, { loc: 'pool' });
  const fl = top.flatten(b, { input: p }, { start_dim: 1 }, { loc: 'flat' });
  const w4 = g.weight('w4', ndarray('f32', [8, 5], rand(40, 5, 1)));
  const b4 = g.weight('b4', ndarray('f32', [5], rand(5, 6, 0.2)));
  const fc = top.matMul(b, { input: fl, right: w4, bias: b4 }, {}, { loc: 'fc' });
  const outs = [fc.result()];
  if (o.softmax) outs.push(top.softmax(b, { input: fc }, { axis: 1 }, { loc: 'prob' }).result());
  if (o.sumOutput) outs.push(s.result());
  return g.finish(...outs).module;
}

/** A seeded uniform [0, 1) generator (an LCG: the same sequence on every run). */
export function seededRandom(seed: number): () => number {
  let s = seed;
  return () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
}

/** A kernel's context for `op` on `inputs` (the result types from the op). */
export function kernelCtx(op: Op, inputs: NdArray[]): KernelContext {
  return { op, inputs, outputTypes: op.results.map((r) => r.type as TensorType), weights: new Map() };
}

/** Element-for-element equality (Object.is: −0 and NaN count), with the first difference in the message. */
export function expectSameData(got: Float32Array, want: Float32Array, what: string): void {
  expect(got.length, what).toBe(want.length);
  const i = got.findIndex((v, k) => !Object.is(v, want[k]));
  expect(i < 0 ? '' : `${what}: [${i}] got ${got[i]} want ${want[i]}`).toBe('');
}
