// convert-top-to-tpu in F32 / F16 / BF16 on small modules (Conv+ReLU6, depthwise Conv, Add,
// Sigmoid, Max/AvgPool, Flatten, MatMul, Softmax; an attention block and an OCR head for
// lower-float-extra.ts' ops): the lowered structure, weights stored in the
// mode's type, TPU-MLIR's F32 exceptions (AvgPool in F16, long Softmax), and outputs on the js
// runtime against the top module: F32 equal within 1e-6, F16/BF16 within their rounding error.
import { describe, expect, it } from 'vitest';
import { bf16, f16, f32, ndarray, parseMlir, printMlir, runPipeline, type Module, type TensorType } from '@tpu-quant/ir';
import { createSession, roundToBF16, roundToF16 } from '@tpu-quant/runtime';
import { lowerTopToTpu } from '../src/index.js';
import { activeAttrs } from '../src/dialect/generated/attrs.js';
import { Graph, rand, smallCnn, top } from './helpers.js';

const build = (): Module => smallCnn({ softmax: true, maxPool: true, sumOutput: true });

const input = rand(4 * 64, 7, 2);
const feed = { x: ndarray('f32', [1, 4, 8, 8], input) };

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += a[i]! * b[i]!; aa += a[i]! ** 2; bb += b[i]! ** 2; }
  return ab / Math.sqrt(aa * bb);
}

/** max |a − b| / max(1, max |b|). */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0, m = 1;
  for (let i = 0; i < a.length; i++) { e = Math.max(e, Math.abs(a[i]! - b[i]!)); m = Math.max(m, Math.abs(b[i]!)); }
  return e / m;
}

const opTypes = (m: Module): string[] => m.main.ops.map((o) => o.type).filter((t) => t !== 'top.Weight' && t !== 'top.None' && t !== 'func.return');
const elementOf = (m: Module, name: string): string => {
  const op = m.main.ops.find((o) => o.name === name)!;
  const t = op.result().type as TensorType;
  return t.element.kind === 'float' ? t.element.name : t.element.kind;
};

async function outputs(m: Module): Promise<Map<string, Float32Array>> {
  const r = await (await createSession(m, { backend: 'js' })).run(feed, { capture: 'all' });
  const out = new Map<string, Float32Array>();
  for (const [k, v] of r.outputs) out.set(k, v.data as Float32Array);
  for (const [k, v] of r.tensors) out.set(`tensor:${k}`, v.data as Float32Array);
  return out;
}

describe('convert-top-to-tpu{mode=F32}', () => {
  it('lowers every op to f32 tpu ops and matches the top module within 1e-6', async () => {
    const ref = await outputs(build());
    const m = build();
    const rep = lowerTopToTpu(m, { chip: 'bm1684x', mode: 'F32' });
    expect(rep.float.size).toBe(0);
    expect(rep.casts).toBe(0);
    expect(opTypes(m)).toEqual([
      'top.Input', 'tpu.Conv2D', 'tpu.Conv2D', 'tpu.Conv2D', 'tpu.Add', 'tpu.Active', 'tpu.Pool2D', 'tpu.Pool2D', 'tpu.Reshape', 'tpu.MatMul', 'tpu.Softmax',
    ]);
    const got = await outputs(m);
    for (const k of ['fc', 'prob', 'sum']) expect(relErr(got.get(k)!, ref.get(k)!)).toBeLessThan(1e-6);
  });
});

describe.each([
  { mode: 'F16', type: f16, round: roundToF16, eps: 2 ** -11 },
  { mode: 'BF16', type: bf16, round: roundToBF16, eps: 2 ** -8 },
] as const)('convert-top-to-tpu{mode=$mode}', ({ mode, type, round, eps }) => {
  it('types every activation in the mode, stores filters in it and keeps biases f32', async () => {
    const m = build();
    await runPipeline(m, `convert-top-to-tpu{chip=bm1684x mode=${mode}}`);
    expect(m.attrs.get('module.mode')).toEqual({ kind: 'string', value: mode });
    for (const n of ['c1', 'c2', 'c3', 'sum', 'sig', 'mpool', 'flat', 'fc', 'prob']) expect(elementOf(m, n)).toBe(type.name);
    // AvgPool in F16 mode computes in F32 (spec §3.10), with casts around it
    expect(elementOf(m, 'pool')).toBe(mode === 'F16' ? 'f32' : 'bf16');
    expect(m.weights.get(`w1_${type.name}`)!.dtype).toBe(type.name);
    expect(m.weights.get('b1')!.dtype).toBe('f32');
    expect(m.weights.has('w1')).toBe(false);
    const casts = m.main.ops.filter((o) => o.type === 'tpu.Cast').map((o) => o.name);
    expect(casts).toEqual(expect.arrayContaining([`x_${type.name}`, 'fc_f32', 'prob_f32', 'sum_f32']));
    if (mode === 'F16') expect(casts).toEqual(expect.arrayContaining(['mpool_f32', 'pool_f16']));
    // prints and parses back with the f16 / bf16 types
    const text = printMlir(m);
    expect(text).toContain(`x${type.name}>`);
    expect(parseMlir(text, 'lowered').main.ops.length).toBe(m.main.ops.length);
  });

  it('rounds weights and every activation to the mode and stays within its rounding error of float', async () => {
    const ref = await outputs(build());
    const m = build();
    lowerTopToTpu(m, { chip: 'bm1688', mode });
    // stored filters are the f32 values rounded to the mode
    const w1 = await (await createSession(m, { backend: 'js' })).run(feed, { capture: ['c1'] });
    const c1 = w1.tensors.get('c1')!;
    expect([...round(c1).data]).toEqual([...(c1.data as Float32Array)]);
    const got = await outputs(m);
    for (const [name, t] of [['sum', 'sum_f32'], ['fc', 'fc_f32'], ['prob', 'prob_f32']] as const) {
      const a = got.get(t)!;
      const b = ref.get(name)!;
      expect(cosine(a, b)).toBeGreaterThan(0.999);
      // a few roundings of relative size eps along the chain (3 convs, add, sigmoid, pools, fc)
      expect(relErr(a, b)).toBeLessThan(40 * eps);
      // every activation the tpu ops wrote holds values of the mode
      if (name === 'sum') expect([...round(ndarray('f32', [a.length], a)).data]).toEqual([...a]);
    }
  });
});

describe('float-mode precision rules and fallbacks', () => {
  it('keeps a long Softmax in F32 under F16 (axis > LMEM_BANK_BYTES / 2), casts around it', async () => {
    const g = new Graph([1, 9000]);
    const sm = top.softmax(g.b, { input: g.x }, { axis: 1 }, { loc: 'sm' });
    const m = g.finish(sm.result()).module;
    lowerTopToTpu(m, { chip: 'bm1684x', mode: 'F16' });
    expect(opTypes(m)).toEqual(['top.Input', 'tpu.Softmax']);
    expect(elementOf(m, 'sm')).toBe('f32');
    const g2 = new Graph([1, 1000]);
    const sm2 = top.softmax(g2.b, { input: g2.x }, { axis: 1 }, { loc: 'sm' });
    const m2 = g2.finish(sm2.result()).module;
    lowerTopToTpu(m2, { chip: 'bm1684x', mode: 'F16' });
    expect(opTypes(m2)).toEqual(['top.Input', 'tpu.Cast', 'tpu.Softmax', 'tpu.Cast']);
  });

  it('keeps ops without a tpu form as top ops typed in the mode; a tpu op reading one rounds it', async () => {
    const g = new Graph([1, 2, 4, 4]);
    const e = top.elu(g.b, { input: g.x }, { alpha: 1 }, { loc: 'e' });
    const w = g.weight('w', ndarray('f32', [2, 2, 1, 1], rand(4, 9)));
    const c = top.conv(g.b, { input: e, filter: w }, { kernel_shape: [1, 1] }, { loc: 'c' });
    const float = g.finish(c.result()).module;
    const m = parseMlir(printMlir(float), 'copy');
    m.weights = new Map(float.weights);
    const rep = lowerTopToTpu(m, { chip: 'cv186x', mode: 'F16' });
    expect(rep.float.get('top.Elu')).toBe(1);
    expect(opTypes(m)).toEqual(['top.Input', 'tpu.Cast', 'top.Elu', 'tpu.Conv2D', 'tpu.Cast']);
    expect(elementOf(m, 'e')).toBe('f16');
    const x = { x: ndarray('f32', [1, 2, 4, 4], rand(32, 3, 3)) };
    const a = (await (await createSession(m, { backend: 'js' })).run(x)).outputs.get('c_f32')!.data as Float32Array;
    const b = (await (await createSession(float, { backend: 'js' })).run(x)).outputs.get('c')!.data as Float32Array;
    expect(cosine(a, b)).toBeGreaterThan(0.999);
    expect([...roundToF16(ndarray('f32', [a.length], a)).data]).toEqual([...a]);
  });

  it('refuses lowered modules and unknown modes', () => {
    const m = build();
    lowerTopToTpu(m, { chip: 'bm1684x', mode: 'F32' });
    expect(() => lowerTopToTpu(m, { chip: 'bm1684x', mode: 'F16' })).toThrow(/needs a top module/);
    expect(() => lowerTopToTpu(build(), { chip: 'bm1684x', mode: 'F8' })).toThrow(/not lowered yet/);
    expect(f32.name).toBe('f32');
  });
});

// ---- transformer / OCR ops (lower-float-extra.ts) ----

/** LayerNorm → MatMul → GELU → two Slices → MulConst / Permute → act × act MatMul → Concat with a weight → AddConst. */
function attention(): Module {
  const g = new Graph([1, 6, 8]);
  const b = g.b;
  const w = (name: string, shape: number[], seed: number, scale = 1, offset = 0) =>
    g.weight(name, ndarray('f32', shape, rand(shape.reduce((p, d) => p * d, 1), seed, scale, offset)));
  const ln = top.layerNorm(b, { input: g.x, weight: w('ln_w', [8], 1, 0.5, 1), bias: w('ln_b', [8], 2, 0.2) }, { normalized_shape: [8], axis: -1, eps: 1e-5 }, { loc: 'ln' });
  const fc = top.matMul(b, { input: ln, right: w('fc_w', [8, 8], 3, 0.6), bias: w('fc_b', [8], 4, 0.1) }, {}, { loc: 'fc' });
  const ge = top.gelu(b, { input: fc }, {}, { loc: 'gelu' });
  const q = top.slice(b, { input: ge }, { offset: [0], ends: [4], steps: [1], axes: [2] }, { loc: 'q' });
  const k = top.slice(b, { input: ge }, { offset: [4], ends: [8], steps: [1], axes: [2] }, { loc: 'k' });
  const qs = top.mulConst(b, { input: q }, { const_val: 0.5 }, { loc: 'qs' });
  const kt = top.permute(b, { input: k }, { order: [0, 2, 1] }, { loc: 'kt' });
  const att = top.matMul(b, { input: qs, right: kt }, {}, { loc: 'att' });
  const cat = top.concat(b, { inputs: [att, w('cls', [1, 6, 2], 5, 0.5)] }, { axis: 2 }, { loc: 'cat' });
  const ac = top.addConst(b, { input: cat }, { const_val: 1.5 }, { loc: 'ac' });
  return g.finish(ac.result()).module;
}

/** Scale → HardSwish → HardSigmoid → Mul → Upsample → Deconv (the OCR head's ops). */
function ocrHead(): Module {
  const g = new Graph([1, 3, 4, 4]);
  const b = g.b;
  const w = (name: string, shape: number[], seed: number, scale = 1, offset = 0) =>
    g.weight(name, ndarray('f32', shape, rand(shape.reduce((p, d) => p * d, 1), seed, scale, offset)));
  const sc = top.scale(b, { input: g.x, scale: w('s', [1, 3, 1, 1], 6, 0.5, 1), bias: w('s_b', [1, 3, 1, 1], 7, 0.3) }, {}, { loc: 'sc' });
  const hs = top.hardSwish(b, { input: sc }, {}, { loc: 'hs' });
  const hsig = top.hardSigmoid(b, { input: hs }, { alpha: 0.2, beta: 0.5 }, { loc: 'hsig' });
  const mu = top.mul(b, { inputs: [hs, hsig] }, {}, { loc: 'mu' });
  const up = top.upsample(b, { input: mu }, { scale_h: 2, scale_w: 2 }, { loc: 'up' });
  const dc = top.deconv(b, { input: up, filter: w('dc_w', [3, 3, 2, 2], 8, 0.5), bias: w('dc_b', [3], 9, 0.1) }, { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] }, { loc: 'dc' });
  return g.finish(dc.result()).module;
}

/** Pad (constant 0.5) → Sub of a per-channel weight → reversed Sub of the input (FastestDet's Pad, UltraFace's Sub). */
function padSub(): Module {
  const g = new Graph([1, 3, 4, 4]);
  const b = g.b;
  const pd = top.pad(b, { input: g.x }, { paddings: [0, 0, 1, 1, 0, 0, 1, 1], val: 0.5, mode: 'constant' }, { loc: 'pd' });
  const sw = g.weight('sw', ndarray('f32', [1, 3, 1, 1], rand(3, 21, 0.7)));
  const sb = top.sub(b, { inputs: [pd, sw] }, {}, { loc: 'sb' });
  const rv = top.sub(b, { inputs: [sb, pd] }, { is_reverse: true, coeff: [1, 0.5] }, { loc: 'rv' });
  return g.finish(rv.result()).module;
}

async function runOne(m: Module, shape: number[], out: string): Promise<Float32Array> {
  const x = { x: ndarray('f32', shape, rand(shape.reduce((p, d) => p * d, 1), 17, 2)) };
  return (await (await createSession(m, { backend: 'js' })).run(x)).outputs.get(out)!.data as Float32Array;
}

describe.each([
  { mode: 'F32', chip: 'bm1684x', tol: 1e-5 },
  { mode: 'F16', chip: 'bm1684x', tol: 40 * 2 ** -11 },
  { mode: 'BF16', chip: 'bm1684x', tol: 40 * 2 ** -8 },
  { mode: 'F16', chip: 'bm1688', tol: 40 * 2 ** -11 },
  { mode: 'BF16', chip: 'bm1688', tol: 40 * 2 ** -8 },
] as const)('transformer / OCR ops in $mode on $chip', ({ mode, chip, tol }) => {
  const t = mode === 'F32' ? 'f32' : mode === 'F16' ? 'f16' : 'bf16';

  it('attention block: every op a tpu op, GELU in F32 on BM1684X, LayerNorm BF16 → F32 on BM1688, output within rounding', async () => {
    const ref = await runOne(attention(), [1, 6, 8], 'ac');
    const m = attention();
    const rep = lowerTopToTpu(m, { chip, mode });
    expect([...rep.float.keys()]).toEqual([]);
    expect(opTypes(m).filter((o) => !o.startsWith('tpu.Cast'))).toEqual([
      'top.Input', 'tpu.LayerNorm', 'tpu.MatMul', 'tpu.Active', 'tpu.Slice', 'tpu.Slice', 'tpu.MulConst', 'tpu.Permute', 'tpu.MatMul', 'tpu.Concat', 'tpu.AddConst',
    ]);
    expect(activeAttrs(m.main.ops.find((o) => o.name === 'gelu')!).mode).toBe('GELU');
    expect(elementOf(m, 'gelu')).toBe(chip === 'bm1684x' ? 'f32' : t);
    expect(elementOf(m, 'ln')).toBe(chip === 'bm1688' && mode === 'BF16' ? 'f32' : t);
    for (const n of ['q', 'qs', 'kt', 'att', 'cat', 'ac']) expect(elementOf(m, n)).toBe(t);
    const lnT = elementOf(m, 'ln');
    if (lnT !== 'f32') expect(m.weights.get(`ln_w_${lnT}`)!.dtype).toBe(lnT);
    if (t !== 'f32') expect(m.weights.get(`cls_${t}`)!.dtype).toBe(t);
    const got = await runOne(m, [1, 6, 8], mode === 'F32' ? 'ac' : 'ac_f32');
    expect(cosine(got, ref)).toBeGreaterThan(0.999);
    expect(relErr(got, ref)).toBeLessThan(tol);
  });

  it('OCR head: Scale / HardSwish / HardSigmoid (F32) / Mul / Upsample / Deconv (bias f32) as tpu ops, output within rounding', async () => {
    const ref = await runOne(ocrHead(), [1, 3, 4, 4], 'dc');
    const m = ocrHead();
    const rep = lowerTopToTpu(m, { chip, mode });
    expect([...rep.float.keys()]).toEqual([]);
    expect(opTypes(m).filter((o) => !o.startsWith('tpu.Cast'))).toEqual([
      'top.Input', 'tpu.Scale', 'tpu.Active', 'tpu.Active', 'tpu.Mul', 'tpu.Upsample', 'tpu.Deconv',
    ]);
    // upstream's HSIGMOID coeffs are [beta, alpha]
    expect(activeAttrs(m.main.ops.find((o) => o.name === 'hsig')!)).toMatchObject({ mode: 'HSIGMOID', coeffs: [0.5, 0.2] });
    expect(elementOf(m, 'hsig')).toBe('f32');
    for (const n of ['sc', 'hs', 'mu', 'up', 'dc']) expect(elementOf(m, n)).toBe(t);
    if (t !== 'f32') {
      expect(m.weights.get(`s_${t}`)!.dtype).toBe(t);
      expect(m.weights.get(`dc_w_${t}`)!.dtype).toBe(t);
    }
    expect(m.weights.get('dc_b')!.dtype).toBe('f32');
    const got = await runOne(m, [1, 3, 4, 4], mode === 'F32' ? 'dc' : 'dc_f32');
    expect(cosine(got, ref)).toBeGreaterThan(0.999);
    expect(relErr(got, ref)).toBeLessThan(tol);
  });

  it('Pad and Sub (a weight side, is_reverse with coeff) as tpu ops in the mode, output within rounding', async () => {
    const ref = await runOne(padSub(), [1, 3, 4, 4], 'rv');
    const m = padSub();
    const rep = lowerTopToTpu(m, { chip, mode });
    expect([...rep.float.keys()]).toEqual([]);
    expect(opTypes(m).filter((o) => !o.startsWith('tpu.Cast'))).toEqual(['top.Input', 'tpu.Pad', 'tpu.Sub', 'tpu.Sub']);
    for (const n of ['pd', 'sb', 'rv']) expect(elementOf(m, n)).toBe(t);
    const got = await runOne(m, [1, 3, 4, 4], mode === 'F32' ? 'rv' : 'rv_f32');
    expect(got.length).toBe(3 * 6 * 6);
    expect(cosine(got, ref)).toBeGreaterThan(0.999);
    expect(relErr(got, ref)).toBeLessThan(tol);
  });
});

describe('MulConst out of the mode range', () => {
  it('computes in F32 under F16 when |const_val| > 65504, in the mode otherwise', () => {
    for (const [c, want] of [[1e5, 'f32'], [300, 'f16']] as const) {
      const g = new Graph([1, 4]);
      const mc = top.mulConst(g.b, { input: g.x }, { const_val: c }, { loc: 'mc' });
      const m = g.finish(mc.result()).module;
      lowerTopToTpu(m, { chip: 'bm1684x', mode: 'F16' });
      expect(elementOf(m, 'mc')).toBe(want);
      expect(opTypes(m)).toContain('tpu.MulConst');
    }
  });
});
