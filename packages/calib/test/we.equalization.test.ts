// Cross-layer weight equalization (spec §9.1): which conv pairs are equalized, the per-channel
// scale on a hand-checked example, and that the equalized model computes the same function.
import { describe, expect, it } from 'vitest';
import type { Module, NdArray, Value } from '@tpu-quant/ir';
import { f32 as F32, Func, Module as IrModule, ndarray, Op, OpBuilder, tensorType, top } from '@tpu-quant/ir';
import { createSession } from '@tpu-quant/runtime';
import { channelScale, equalizeWeights, findEqualizationPairs } from '../src/we/index.js';

// ---- tiny model builder -----------------------------------------------------------------------

class Net {
  readonly module: Module = new IrModule('t');
  readonly b: OpBuilder;
  readonly x: Value;
  private seed = 1;

  constructor(inShape: number[]) {
    const f = this.module.addFunc(new Func('main'));
    this.b = new OpBuilder(f);
    const arg = f.addArgument(tensorType(inShape, F32));
    this.x = top.input(this.b, { input: arg }, {}, { loc: 'x' }).result();
  }

  /** A conv whose output channels have very different scales (so equalization has work to do). */
  conv(name: string, input: Value, oc: number, icpg: number, k: number, opts: { group?: number; bias?: boolean } = {}): Value {
    const w = this.random([oc, icpg, k, k], (o) => 0.05 * 4 ** (o % 4));
    const filter = this.b.weight(`${name}_w`, w);
    const bias = opts.bias === false ? undefined : this.b.weight(`${name}_b`, this.random([oc], () => 1));
    return top.conv(this.b, { input, filter, ...(bias ? { bias } : {}) }, {
      kernel_shape: [k, k], strides: [1, 1], pads: [k >> 1, k >> 1, k >> 1, k >> 1], group: opts.group ?? 1,
    }, { loc: name }).result();
  }

  relu(name: string, input: Value): Value {
    return top.relu(this.b, { input }, {}, { loc: name }).result();
  }

  prelu(name: string, input: Value, c: number): Value {
    const slope = this.b.weight(`${name}_slope`, ndarray('f32', [c], Float32Array.from({ length: c }, (_, i) => 0.1 + 0.2 * i)));
    return top.pRelu(this.b, { input, slope }, {}, { loc: name }).result();
  }

  finish(...outs: Value[]): Module {
    const f = this.b.func;
    f.resultTypes = outs.map((o) => o.type);
    f.append(new Op('func.return', { operands: outs }));
    return this.module;
  }

  /** Deterministic values in [-1, 1) times a per-leading-index scale. */
  random(shape: number[], scale: (lead: number) => number): NdArray<'f32'> {
    const n = shape.reduce((a, c) => a * c, 1);
    const per = n / shape[0]!;
    const d = new Float32Array(n);
    for (let i = 0; i < n; i++) d[i] = rand(this.seed++) * scale(Math.floor(i / per));
    return ndarray('f32', shape, d);
  }
}

function rand(seed: number): number {
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let k = 0; k < 3; k++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
  }
  return (s / 2 ** 32) * 2 - 1;
}

function randomInput(shape: number[], seed: number): NdArray<'f32'> {
  const n = shape.reduce((a, c) => a * c, 1);
  return ndarray('f32', shape, Float32Array.from({ length: n }, (_, i) => rand(seed * 100003 + i)));
}

async function outputsWith(module: Module, weights: Map<string, NdArray>, x: NdArray): Promise<Float32Array[]> {
  const saved = module.weights;
  module.weights = weights;
  try {
    const s = await createSession(module, { backend: 'js' });
    const r = await s.run({ x });
    return [...r.outputs.values()].map((v) => v.data as Float32Array);
  } finally {
    module.weights = saved;
  }
}

function relDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(a[i]!));
  }
  return d / m;
}

/** r1 per output channel of A and r2 per input channel of C (within its group), as in §9.1. */
function ranges(wa: NdArray, wc: NdArray): { r1: number[]; r2: number[] } {
  const [outA] = wa.shape as [number];
  const [outC, icpg] = wc.shape as [number, number];
  const a = wa.data as Float32Array;
  const c = wc.data as Float32Array;
  const g = outA / icpg;
  const rowA = a.length / outA;
  const k = c.length / (outC * icpg);
  const r1: number[] = [];
  const r2: number[] = [];
  for (let ch = 0; ch < outA; ch++) {
    let m = 0;
    for (let t = 0; t < rowA; t++) m = Math.max(m, Math.abs(a[ch * rowA + t]!));
    r1.push(m);
    const grp = Math.floor(ch / (outA / g));
    const j = ch % icpg;
    const co = outC / g;
    let m2 = 0;
    for (let o = grp * co; o < (grp + 1) * co; o++) for (let t = 0; t < k; t++) m2 = Math.max(m2, Math.abs(c[(o * icpg + j) * k + t]!));
    r2.push(m2);
  }
  return { r1, r2 };
}

function snapshot(m: Module): Map<string, { ref: NdArray; copy: Float32Array }> {
  return new Map([...m.weights].map(([k, v]) => [k, { ref: v, copy: (v.data as Float32Array).slice() }]));
}

function expectUntouched(m: Module, snap: Map<string, { ref: NdArray; copy: Float32Array }>): void {
  for (const [k, { ref, copy }] of snap) {
    expect(m.weights.get(k)).toBe(ref);
    expect(Array.from(ref.data as Float32Array)).toEqual(Array.from(copy));
  }
}

// ---- tests -------------------------------------------------------------------------------------

describe('equalizeWeights: hand-checked 2-channel example', () => {
  it('scales channel j of A by 1/s and input channel j of C by s = sqrt(r1/r2), bias too', () => {
    const n = new Net([1, 1, 3, 3]);
    const wa = n.b.weight('a_w', ndarray('f32', [2, 1, 1, 2], Float32Array.of(2, -1, 0.25, -0.5)));
    const ba = n.b.weight('a_b', ndarray('f32', [2], Float32Array.of(1, 4)));
    const a = top.conv(n.b, { input: n.x, filter: wa, bias: ba }, { kernel_shape: [1, 2], strides: [1, 1], pads: [0, 0, 0, 1] }, { loc: 'a' }).result();
    const wc = n.b.weight('c_w', ndarray('f32', [2, 2, 1, 1], Float32Array.of(8, 1, -4, 8)));
    const c = top.conv(n.b, { input: a, filter: wc }, { kernel_shape: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0] }, { loc: 'c' }).result();
    const m = n.finish(c);
    const lines: string[] = [];
    const r = equalizeWeights(m, (l) => lines.push(l));
    // channel 0: r1 = 2, r2 = max(|8|, |-4|) = 8 → s = 2/sqrt(16) = 0.5
    // channel 1: r1 = 0.5, r2 = max(|1|, |8|) = 8 → s = 0.5/sqrt(4) = 0.25
    expect(Array.from(r.weights.get('a_w')!.data as Float32Array)).toEqual([2 / 0.5, -1 / 0.5, 0.25 / 0.25, -0.5 / 0.25]);
    expect(Array.from(r.weights.get('a_b')!.data as Float32Array)).toEqual([1 / 0.5, 4 / 0.25]);
    expect(Array.from(r.weights.get('c_w')!.data as Float32Array)).toEqual([8 * 0.5, 1 * 0.25, -4 * 0.5, 8 * 0.25]);
    expect(r.weights.get('a_w')!.shape).toEqual([2, 1, 1, 2]);
    // the second pass finds s = 1 everywhere: loss 0 < 1e-4, so the loop stops at Iter 2
    expect(r.pairs).toEqual([{ first: 'a', second: 'c', groups: 1, iterations: 2 }]);
    const loss1 = Math.sqrt(2 ** 2 + 1 ** 2 + 0.75 ** 2 + 1.5 ** 2) + Math.sqrt(4 ** 2 + 0.75 ** 2 + 2 ** 2 + 6 ** 2);
    expect(lines).toEqual([
      'Cross Layer WE: a --- c Groups: 1 Iter: 1', `>>>loss:${loss1}`,
      'Cross Layer WE: a --- c Groups: 1 Iter: 2', '>>>loss:0',
    ]);
  });

  it('drops the update that converged (checked before saving): nearly balanced ranges stay as they are', () => {
    const n = new Net([1, 1, 2, 2]);
    const wa = n.b.weight('a_w', ndarray('f32', [1, 1, 1, 1], Float32Array.of(1)));
    const a = top.conv(n.b, { input: n.x, filter: wa }, { kernel_shape: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0] }, { loc: 'a' }).result();
    const wc = n.b.weight('c_w', ndarray('f32', [1, 1, 1, 1], Float32Array.of(1.00001)));
    const m = n.finish(top.conv(n.b, { input: a, filter: wc }, { kernel_shape: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0] }, { loc: 'c' }).result());
    const r = equalizeWeights(m);
    // s = 1/sqrt(1.00001) moves both weights by ~5e-6 < 1e-4: converged at Iter 1, nothing saved
    expect(r.pairs).toEqual([{ first: 'a', second: 'c', groups: 1, iterations: 1 }]);
    expect(r.weights.get('a_w')!.data[0]).toBe(1);
    expect(r.weights.get('c_w')!.data[0]).toBe(Math.fround(1.00001));
  });

  it('channelScale: ranges below 1e-6 count as 0, and 0 gives s = 1 (NaN/inf → 1)', () => {
    expect(channelScale(2, 8)).toBe(0.5);
    expect(channelScale(8, 2)).toBe(2);
    expect(channelScale(9e-7, 4)).toBe(1);
    expect(channelScale(4, 9e-7)).toBe(1);
    expect(channelScale(0, 0)).toBe(1);
    // float32: 3 / sqrt(f32(3 · 5)) rounded to f32
    expect(channelScale(3, 5)).toBe(Math.fround(3 / Math.fround(Math.sqrt(15))));
  });
});

describe('equalizeWeights keeps the float model function', () => {
  const cases: [string, () => { m: Module; pairs: [string, string, number][] }][] = [
    ['conv → relu → conv', () => {
      const n = new Net([1, 3, 7, 6]);
      const a = n.conv('a', n.x, 6, 3, 3);
      const c = n.conv('c', n.relu('r', a), 5, 6, 3);
      return { m: n.finish(c), pairs: [['a', 'c', 1]] };
    }],
    ['grouped conv → depthwise conv → grouped conv (chain of two pairs)', () => {
      const n = new Net([1, 4, 6, 6]);
      const a = n.conv('a', n.x, 6, 2, 3, { group: 2 });
      const d = n.conv('d', a, 6, 1, 3, { group: 6 });
      const c = n.conv('c', d, 4, 3, 1, { group: 2, bias: false });
      return { m: n.finish(c), pairs: [['a', 'd', 6], ['d', 'c', 2]] };
    }],
    ['conv (no bias) → prelu → conv', () => {
      const n = new Net([1, 2, 5, 5]);
      const a = n.conv('a', n.x, 4, 2, 3, { bias: false });
      const c = n.conv('c', n.prelu('p', a, 4), 3, 4, 1);
      return { m: n.finish(c), pairs: [['a', 'c', 1]] };
    }],
  ];

  it.each(cases)('%s', async (_, build) => {
    const { m, pairs } = build();
    const snap = snapshot(m);
    const r = equalizeWeights(m);
    expect(r.pairs.map((p) => [p.first, p.second, p.groups])).toEqual(pairs);
    for (const p of r.pairs) expect(p.iterations).toBeGreaterThanOrEqual(2);
    expectUntouched(m, snap);
    for (let seed = 1; seed <= 3; seed++) {
      const t = m.main.args[0]!.type;
      const x = randomInput(t.kind === 'tensor' ? [...t.shape] : [], seed);
      const before = await outputsWith(m, m.weights, x);
      const after = await outputsWith(m, r.weights, x);
      expect(relDiff(before[0]!, after[0]!)).toBeLessThan(1e-4);
    }
    // ranges were far apart and are now (nearly) equal
    for (const [a, c] of pairs) {
      const pre = ranges(m.weights.get(`${a}_w`)!, m.weights.get(`${c}_w`)!);
      const post = ranges(r.weights.get(`${a}_w`)!, r.weights.get(`${c}_w`)!);
      const spread = (x: { r1: number[]; r2: number[] }) => Math.max(...x.r1.map((v, i) => Math.abs(Math.log(v / x.r2[i]!))));
      if (a === 'a' && c !== 'd') expect(spread(pre)).toBeGreaterThan(0.5);
      // a conv equalized on both sides (d) keeps only the last pair's balance exactly
      if (c !== 'd') expect(spread(post)).toBeLessThan(1e-5);
    }
  });

  it('weights outside the pairs are the module\'s own arrays; changed ones are new arrays', () => {
    const n = new Net([1, 3, 5, 5]);
    const a = n.conv('a', n.x, 4, 3, 3);
    const c = n.conv('c', n.relu('r', a), 2, 4, 1);
    const m = n.finish(n.prelu('p', c, 2));
    const r = equalizeWeights(m);
    expect(r.weights.get('p_slope')).toBe(m.weights.get('p_slope'));
    expect(r.weights.get('c_b')).toBe(m.weights.get('c_b'));
    for (const k of ['a_w', 'a_b', 'c_w']) expect(r.weights.get(k)).not.toBe(m.weights.get(k));
    expect([...r.weights.keys()].sort()).toEqual([...m.weights.keys()].sort());
  });
});

describe('pairs are formed only as TPU-MLIR find_successor allows', () => {
  const names = (m: Module) => findEqualizationPairs(m).map((p) => `${p.first.name}->${p.second.name}`);

  it('a conv with two conv consumers has no pair', () => {
    const n = new Net([1, 2, 4, 4]);
    const a = n.conv('a', n.x, 3, 2, 1);
    const m = n.finish(n.conv('c1', a, 2, 3, 1), n.conv('c2', a, 2, 3, 1));
    expect(names(m)).toEqual([]);
    expect(equalizeWeights(m).pairs).toEqual([]);
  });

  it('a non-conv consumer (directly, after the relu, or the model output) prevents the pair', () => {
    const n1 = new Net([1, 2, 4, 4]);
    const a1 = n1.conv('a', n1.x, 2, 2, 1);
    const add = top.add(n1.b, { inputs: [a1, n1.x] }, {}, { loc: 'add' }).result();
    expect(names(n1.finish(n1.conv('c', add, 2, 2, 1)))).toEqual([]);

    const n2 = new Net([1, 2, 4, 4]);
    const r2 = n2.relu('r', n2.conv('a', n2.x, 2, 2, 1));
    const pool = top.maxPool(n2.b, { input: r2 }, { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] }, { loc: 'pool' }).result();
    expect(names(n2.finish(n2.conv('c', r2, 2, 2, 1), pool))).toEqual([]);

    const n3 = new Net([1, 2, 4, 4]);
    const a3 = n3.conv('a', n3.x, 2, 2, 1);
    expect(names(n3.finish(n3.conv('c', a3, 2, 2, 1), a3))).toEqual([]);
  });

  it('a relu feeding two convs gives two successors: no pair; a relu feeding one conv: a pair', () => {
    const n = new Net([1, 2, 4, 4]);
    const r = n.relu('r', n.conv('a', n.x, 2, 2, 1));
    expect(names(n.finish(n.conv('c1', r, 2, 2, 1), n.conv('c2', r, 2, 2, 1)))).toEqual([]);

    const k = new Net([1, 2, 4, 4]);
    const rk = k.relu('r', k.conv('a', k.x, 2, 2, 1));
    expect(names(k.finish(k.conv('c', rk, 2, 2, 1)))).toEqual(['a->c']);
  });

  it('a bounded relu (ReLU6), fused into the first conv or as its own op, prevents the pair (a quirk we fix)', () => {
    const n1 = new Net([1, 2, 4, 4]);
    const w = n1.b.weight('a_w', n1.random([2, 2, 1, 1], () => 1));
    const a = top.conv(n1.b, { input: n1.x, filter: w }, { kernel_shape: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0], do_relu: true, relu_limit: 6 }, { loc: 'a' }).result();
    expect(names(n1.finish(n1.conv('c', a, 2, 2, 1)))).toEqual([]);

    const n2 = new Net([1, 2, 4, 4]);
    const r = top.relu(n2.b, { input: n2.conv('a', n2.x, 2, 2, 1) }, { relu_limit: 6 }, { loc: 'r' }).result();
    expect(names(n2.finish(n2.conv('c', r, 2, 2, 1)))).toEqual([]);

    // an unbounded fused relu is scale-equivariant: still a pair
    const n3 = new Net([1, 2, 4, 4]);
    const w3 = n3.b.weight('a_w', n3.random([2, 2, 1, 1], () => 1));
    const a3 = top.conv(n3.b, { input: n3.x, filter: w3 }, { kernel_shape: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0], do_relu: true }, { loc: 'a' }).result();
    expect(names(n3.finish(n3.conv('c', a3, 2, 2, 1)))).toEqual(['a->c']);
  });
});
