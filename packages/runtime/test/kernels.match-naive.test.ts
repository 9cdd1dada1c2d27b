// Kernels against independent naive formulas on random, awkward shapes, and hand-computed cases.
import { describe, expect, it } from 'vitest';
import type { NdArray } from '@tpu-quant/ir';
import { top } from '@tpu-quant/ir';
import { createSession } from '../src/index.js';
import { erf } from '../src/math.js';
import { arr, finish, maxAbsDiff, moduleWithInputs, random } from './helpers/build.js';

/** Conv by explicitly zero-padding the input first, then a dense window sum. */
function naiveConv(x: NdArray, w: NdArray, s: number[], d: number[], p: number[], g: number): { shape: number[]; data: Float32Array } {
  const [n, c, h, wd] = x.shape as number[];
  const [oc, icg, kh, kw] = w.shape as number[];
  const [ph, pw] = [h! + p[0]! + p[2]!, wd! + p[1]! + p[3]!];
  const padded = new Float64Array(n! * c! * ph * pw);
  for (let i = 0; i < n! * c!; i++) for (let y = 0; y < h!; y++) for (let z = 0; z < wd!; z++) {
    padded[(i * ph + y + p[0]!) * pw + z + p[1]!] = (x.data as Float32Array)[(i * h! + y) * wd! + z]!;
  }
  const oh = Math.floor((ph - (d[0]! * (kh! - 1) + 1)) / s[0]!) + 1;
  const ow = Math.floor((pw - (d[1]! * (kw! - 1) + 1)) / s[1]!) + 1;
  const out = new Float32Array(n! * oc! * oh * ow);
  const ocg = oc! / g;
  for (let b = 0; b < n!; b++) for (let o = 0; o < oc!; o++) for (let y = 0; y < oh; y++) for (let z = 0; z < ow; z++) {
    let acc = 0;
    for (let ci = 0; ci < icg!; ci++) for (let i = 0; i < kh!; i++) for (let j = 0; j < kw!; j++) {
      const cin = Math.floor(o / ocg) * icg! + ci;
      acc += padded[((b * c! + cin) * ph + y * s[0]! + i * d[0]!) * pw + z * s[1]! + j * d[1]!]! *
        (w.data as Float32Array)[((o * icg! + ci) * kh! + i) * kw! + j]!;
    }
    out[((b * oc! + o) * oh + y) * ow + z] = acc;
  }
  return { shape: [n!, oc!, oh, ow], data: out };
}

describe('Conv matches a naive padded convolution', () => {
  const cases = [
    { x: [1, 3, 7, 5], oc: 4, k: [3, 3], s: [1, 1], d: [1, 1], p: [1, 1, 1, 1], g: 1 },
    { x: [2, 4, 9, 6], oc: 6, k: [3, 2], s: [2, 1], d: [2, 1], p: [0, 2, 1, 0], g: 2 },
    { x: [1, 6, 11, 10], oc: 6, k: [3, 3], s: [3, 2], d: [1, 3], p: [2, 1, 0, 3], g: 6 },
  ];
  it.each(cases)('%j', async (c) => {
    const xv = random(c.x, 11);
    const wv = random([c.oc, c.x[1]! / c.g, ...c.k], 5);
    const want = naiveConv(xv, wv, c.s, c.d, c.p, c.g);
    const b = moduleWithInputs([c.x]);
    const y = top.conv(b.b, { input: b.inputs[0]!, filter: b.b.weight('w', wv) }, {
      kernel_shape: c.k, strides: c.s, dilations: c.d, pads: c.p, group: c.g,
    }, { loc: 'y' }).result();
    const r = await (await createSession(finish(b, [y]))).run({ x0: xv });
    const got = r.outputs.get('y')!;
    expect(got.shape).toEqual(want.shape);
    expect(maxAbsDiff(got, arr(want.shape, want.data))).toBeLessThan(1e-5);
  });
});

describe('elementwise', () => {
  it('broadcasts Add with coeff and a fused relu', async () => {
    const b = moduleWithInputs([[2, 1, 3], [4, 1]]);
    const y = top.add(b.b, { inputs: [b.inputs[0]!, b.inputs[1]!] }, { coeff: [1, -2], do_relu: true }, { loc: 'y' }).result();
    const xa = random([2, 1, 3], 1);
    const xb = random([4, 1], 2);
    const r = await (await createSession(finish(b, [y]))).run({ x0: xa, x1: xb });
    const got = r.outputs.get('y')!;
    expect(got.shape).toEqual([2, 4, 3]);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 4; j++) for (let k = 0; k < 3; k++) {
      const v = Math.max(0, xa.data[i * 3 + k]! - 2 * xb.data[j]!);
      expect(got.data[(i * 4 + j) * 3 + k]).toBeCloseTo(v, 6);
    }
  });

  it('SubConst and DivConst honour is_reverse', async () => {
    const b = moduleWithInputs([[3]]);
    const s = top.subConst(b.b, { input: b.inputs[0]! }, { const_val: 1, is_reverse: true }, { loc: 's' }).result();
    const d = top.divConst(b.b, { input: b.inputs[0]! }, { const_val: 1, is_reverse: true }, { loc: 'd' }).result();
    const r = await (await createSession(finish(b, [s, d]))).run({ x0: arr([3], [1, 2, 4]) });
    expect(Array.from(r.outputs.get('s')!.data as Float32Array)).toEqual([0, -1, -3]);
    expect(Array.from(r.outputs.get('d')!.data as Float32Array)).toEqual([1, 0.5, 0.25]);
  });
});

describe('erf', () => {
  it('matches reference values to 1e-15', () => {
    const ref: [number, number][] = [[0, 0], [0.1, 0.1124629160182849], [0.5, 0.5204998778130465], [1, 0.8427007929497149],
      [2, 0.9953222650189527], [3, 0.9999779095030014], [-1.5, -0.9661051464753108], [5, 0.9999999999984626]];
    for (const [x, y] of ref) expect(Math.abs(erf(x) - y)).toBeLessThan(1e-15);
  });
});

describe('pooling', () => {
  it('MaxPool ceil_mode grows the last window (TPU-MLIR shape rule)', async () => {
    const b = moduleWithInputs([[1, 1, 5, 5]]);
    const y = top.maxPool(b.b, { input: b.inputs[0]! }, { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], ceil_mode: true }, { loc: 'y' }).result();
    const x = arr([1, 1, 5, 5], Array.from({ length: 25 }, (_, i) => i));
    const r = await (await createSession(finish(b, [y]))).run({ x0: x });
    expect(r.outputs.get('y')!.shape).toEqual([1, 1, 3, 3]);
    expect(Array.from(r.outputs.get('y')!.data as Float32Array)).toEqual([6, 8, 9, 16, 18, 19, 21, 23, 24]);
  });
});
