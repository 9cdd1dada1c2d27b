// The auto-tuner's WebAssembly SIMD kernels (assembly/tune.ts) against the js reference loops
// (fakeQuantActivationInto, fakeQuantWeightData, squaredDiff): bit-equal results on random data, NaN, ±0, ±Infinity,
// values on .5 rounding boundaries, clip edges and lengths that are not multiples of 4; and the
// tuner's table and candidate trace, the same bits with the kernels and without.
import { describe, expect, it } from 'vitest';
import { squaredDiff } from '../src/tune/distance.js';
import { fakeQuantActivationInto, fakeQuantWeightData, fakeQuantWeightWasm } from '../src/tune/fake-quant.js';
import { acquireTuneKernels, releaseTuneKernels, TuneKernels, useTuneKernels } from '../src/tune/wasm-tune.js';
import { tuneThresholds } from '../src/tune/tuner.js';
import { f32 as F32, Func, fusedLoc, Module, ndarray, Op, OpBuilder, tensorType, top, type NdArray } from '@tpu-quant/ir';

/** xorshift32: reproducible random data. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

const bits = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** Equal element by element as bit patterns, except that any NaN equals any NaN. */
function expectSameF32(got: Float32Array, want: Float32Array): void {
  expect(got.length).toBe(want.length);
  const g = bits(got);
  const w = bits(want);
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(want[i]!) && Number.isNaN(got[i]!)) continue;
    if (g[i] !== w[i]) expect(`${i}: ${got[i]} (0x${g[i]!.toString(16)})`).toBe(`${i}: ${want[i]} (0x${w[i]!.toString(16)})`);
  }
}

function wasmFakeQuant(k: TuneKernels, x: Float32Array, th: number): Float32Array {
  k.reset();
  const xp = k.alloc(x.length);
  const op = k.alloc(x.length);
  k.put(xp, x);
  k.fakeQuant(xp, x.length, th, op);
  return k.view(op, x.length).slice();
}

function wasmSquaredDiff(k: TuneKernels, a: Float32Array, b: Float32Array): number {
  k.reset();
  const ap = k.alloc(a.length);
  const bp = k.alloc(b.length);
  k.put(ap, a);
  k.put(bp, b);
  return k.squaredDiff(ap, bp, a.length);
}

/** Values around every rounding half and clip edge of threshold th, plus specials. */
function edgeValues(th: number): Float32Array {
  const scale = Math.fround(127 / th);
  const out: number[] = [0, -0, Number.NaN, Infinity, -Infinity, 3.4e38, -3.4e38, 1e-45, -1e-45, 1e-40];
  for (let q = -131; q <= 131; q++) {
    for (const f of [q - 0.5, q, q + 0.5]) {
      const v = Math.fround(f / scale);
      // the float32 neighbours of the value that lands on the half step
      const b = new Float32Array([v]);
      const u = new Uint32Array(b.buffer);
      u[0]! += 1;
      const up = b[0]!;
      u[0]! -= 2;
      out.push(v, up, b[0]!);
    }
  }
  return Float32Array.from(out);
}

const kernels = acquireTuneKernels();

describe.skipIf(!kernels)('auto-tune wasm kernels match the js loops', () => {
  const k = kernels!;

  it('fake quantisation: rounding halves, clip edges, NaN, ±0, ±Infinity, every length mod 4', () => {
    for (const th of [127, 1, 2.5, 6, 0.0137, 1e-5, 300.25]) {
      const x = edgeValues(th);
      for (const n of [x.length, x.length - 1, x.length - 2, x.length - 3, 0, 1, 2, 3, 5]) {
        const xs = x.subarray(0, n);
        const want = fakeQuantActivationInto(xs, th, new Float32Array(n));
        expectSameF32(wasmFakeQuant(k, xs, th), want);
      }
    }
  });

  it('fake quantisation of random data at random thresholds', () => {
    const r = rng(7);
    for (let t = 0; t < 40; t++) {
      const n = 1 + Math.floor(r() * 5000);
      const spread = 10 ** (r() * 6 - 3);
      const x = Float32Array.from({ length: n }, () => (r() - 0.3) * spread);
      const th = spread * (0.05 + r());
      expectSameF32(wasmFakeQuant(k, x, th), fakeQuantActivationInto(x, th, new Float32Array(n)));
    }
  });

  it('fake quantisation with degenerate thresholds (scale Infinity, 0, negative, NaN)', () => {
    const x = Float32Array.of(0, -0, 1, -1, 0.25, -3, Number.NaN, Infinity, -Infinity, 2e-39);
    for (const th of [1e-40, Infinity, -2, Number.NaN, 0]) {
      expectSameF32(wasmFakeQuant(k, x, th), fakeQuantActivationInto(x, th, new Float32Array(x.length)));
    }
  });

  it('squared differences: the same float64 sum, bit for bit', () => {
    const r = rng(11);
    for (let t = 0; t < 60; t++) {
      const n = Math.floor(r() * 3000) + (t % 4);
      const spread = 10 ** (r() * 8 - 4);
      const a = Float32Array.from({ length: n }, () => (r() - 0.5) * spread);
      const b = Float32Array.from(a, (v) => v + (r() - 0.5) * spread * 0.01);
      expect(Object.is(wasmSquaredDiff(k, a, b), squaredDiff(a, b))).toBe(true);
    }
  });

  it('squared differences with NaN, ±Infinity, ±0, large values, lengths 0 to 7', () => {
    const specials = [0, -0, 1, -1, 3.4e38, -3.4e38, 1e-45, Infinity, -Infinity, Number.NaN];
    const r = rng(3);
    for (let t = 0; t < 200; t++) {
      const n = t % 8;
      const pick = (): number => specials[Math.floor(r() * specials.length)]!;
      const a = Float32Array.from({ length: n }, pick);
      const b = Float32Array.from({ length: n }, pick);
      expect(Object.is(wasmSquaredDiff(k, a, b), squaredDiff(a, b))).toBe(true);
    }
  });

  it('weight fake quantisation (half away from zero): halves, ±m, NaN, ±0, random, every length mod 4', () => {
    const r = rng(5);
    // m is the absmax of float32 weights: a float32 itself
    for (const m of [1, 0.3, 127, 2.5e-3, 7.75].map(Math.fround)) {
      const v: number[] = [0, -0, m, -m, Number.NaN, 1e-45, -1e-45];
      for (let q = -128; q <= 128; q++) {
        for (const f of [q - 0.5, q, q + 0.5]) {
          const w = new Float32Array([Math.fround((f * m) / 127)]);
          const u = new Uint32Array(w.buffer);
          v.push(w[0]!);
          u[0]! += 1;
          v.push(w[0]!);
          u[0]! -= 2;
          v.push(w[0]!);
        }
      }
      for (let i = 0; i < 3000; i++) v.push((r() * 2 - 1) * m);
      const x = Float32Array.from(v);
      for (const n of [x.length, x.length - 1, x.length - 2, x.length - 3, 1, 2, 3, 5]) {
        const xs = x.subarray(0, n);
        expectSameF32(fakeQuantWeightWasm(xs, m)!, fakeQuantWeightData(xs, m));
      }
    }
  });

  it('a second user while the first holds the shared instance gets its own', () => {
    const other = acquireTuneKernels()!;
    expect(other).not.toBe(k);
    releaseTuneKernels(other);
  });
});

/** x → conv 3×3 (bias) → relu → split in two → add → conv 1×1: a single- and a multi-result op, odd sizes. */
function net(): Module {
  const r = rng(99);
  const arr = (shape: number[], scale: number): NdArray<'f32'> => ndarray('f32', shape, Float32Array.from({ length: shape.reduce((a, c) => a * c, 1) }, () => (r() * 2 - 1) * scale));
  const m = new Module('tune_kernels');
  const f = m.addFunc(new Func('main'));
  const b = new OpBuilder(f);
  const x = top.input(b, { input: f.addArgument(tensorType([1, 3, 7, 5], F32)) }, {}, { loc: 'x' }).result();
  const c1 = top.conv(b, { input: x, filter: b.weight('c1_w', arr([6, 3, 3, 3], 0.5)), bias: b.weight('c1_b', arr([6], 0.2)) }, { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] }, { loc: 'c1' }).result();
  const rl = top.relu(b, { input: c1 }, {}, { loc: 'r' }).result();
  const sp = top.split(b, { input: rl }, { axis: 1, num: 2 }, { loc: fusedLoc(['sa', 'sb']) });
  const u = top.add(b, { inputs: [sp.result(0), sp.result(1)] }, {}, { loc: 'u' }).result();
  const c2 = top.conv(b, { input: u, filter: b.weight('c2_w', arr([2, 3, 1, 1], 0.7)) }, { kernel_shape: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0] }, { loc: 'c2' }).result();
  f.resultTypes = [c2.type];
  f.append(new Op('func.return', { operands: [c2] }));
  return m;
}

describe.skipIf(!kernels)('the tuner with and without the wasm kernels', () => {
  it('gives the same table and candidate trace, bit for bit', async () => {
    const m = net();
    const r = rng(5);
    const samples = [1, 2, 3].map(() => new Map([['x', ndarray('f32', [1, 3, 7, 5], Float32Array.from({ length: 105 }, () => (r() * 2 - 1) * 3))]]));
    const hi = new Map([['x', 3], ['c1', 4], ['r', 4], ['sa', 3.5], ['sb', 3.2], ['u', 6], ['c2', 5]]);
    const th = new Map([...hi].map(([k, v]) => [k, v * 0.4]));
    const hex = (v: number): string => new BigUint64Array(new Float64Array([v]).buffer)[0]!.toString(16);
    const run = async (on: boolean, findLowerTh: boolean): Promise<string[]> => {
      const trace: string[] = [];
      useTuneKernels(on);
      try {
        const t = await tuneThresholds(m, th, hi, samples, { threads: 1, findLowerTh, onCandidate: (op, name, c, d) => trace.push(`${op} ${name} ${hex(c)} ${hex(d)}`) });
        return [...trace, ...[...t].map(([k, v]) => `${k} ${hex(v)}`)];
      } finally {
        useTuneKernels(true);
      }
    };
    for (const findLowerTh of [false, true]) {
      const js = await run(false, findLowerTh);
      expect(js.length).toBeGreaterThan(100);
      expect(await run(true, findLowerTh)).toEqual(js);
    }
  });
});
