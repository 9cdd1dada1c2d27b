// convert-top-to-tpu{chip=bm1684}: INT8 per spec deploy.md §3.11 (per-layer shift Conv / FC with
// int8 weights and int16 bias, Add multipliers, MaxPool, AvgPool by BM1684's 1/k table, LUT
// activations, the rest F32) and F32. On a small calibrated module: the lowered structure and
// attributes, every integer op's output equal to a BigInt recomputation from its captured inputs,
// the outputs close to the float module's, and the F32 fallbacks and refusals.
import { describe, expect, it } from 'vitest';
import { f32, getTarget, isUserError, ndarray, printMlir, runPipeline, type Module, type Op, type TensorType } from '@tpu-quant/ir';
import { createSession } from '@tpu-quant/runtime';
import { importCalibration, lowerTopToTpu, propagateCalibration, rightShiftRoundBig, type CalibrationRow } from '../src/index.js';
import { Graph, rand, top } from './helpers.js';

const input = rand(4 * 64, 7, 2);
const x = () => ({ x: ndarray('f32', [1, 4, 8, 8], input) });

function build(): Module {
  const g = new Graph([1, 4, 8, 8]);
  const b = g.b;
  const w1 = g.weight('w1', ndarray('f32', [8, 4, 3, 3], rand(8 * 36, 1, 0.3)));
  const b1 = g.weight('b1', ndarray('f32', [8], rand(8, 2, 0.1)));
  const c1 = top.conv(b, { input: g.x, filter: w1, bias: b1 }, { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { loc: 'c1' });
  const r1 = top.relu(b, { input: c1 }, { relu_limit: 6 }, { loc: 'r1' });
  const w2 = g.weight('w2', ndarray('f32', [8, 1, 3, 3], rand(72, 3, 0.5)));
  const c2 = top.conv(b, { input: r1, filter: w2 }, { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 8 }, { loc: 'c2' });
  const w3 = g.weight('w3', ndarray('f32', [8, 8, 1, 1], rand(64, 4, 0.4)));
  const c3 = top.conv(b, { input: r1, filter: w3 }, { kernel_shape: [1, 1] }, { loc: 'c3' });
  const s = top.add(b, { inputs: [c2, c3] }, {}, { loc: 'sum' });
  const mp = top.maxPool(b, { input: s }, { kernel_shape: [2, 2], strides: [2, 2] }, { loc: 'mp' });
  const ap = top.avgPool(b, { input: mp }, { kernel_shape: [4, 4] }, { loc: 'ap' });
  const fl = top.flatten(b, { input: ap }, { start_dim: 1 }, { loc: 'flat' });
  const w4 = g.weight('w4', ndarray('f32', [8, 5], rand(40, 5, 1)));
  const b4 = g.weight('b4', ndarray('f32', [5], rand(5, 6, 0.2)));
  const fc = top.matMul(b, { input: fl, right: w4, bias: b4 }, {}, { loc: 'fc' });
  const sm = top.softmax(b, { input: fc }, { axis: 1 }, { loc: 'prob' });
  return g.finish(fc.result(), sm.result()).module;
}

/** A calibration table from the float run on the input itself: threshold = max |x|. */
async function calibrate(m: Module): Promise<CalibrationRow[]> {
  const r = await (await createSession(m, { backend: 'js' })).run(x(), { capture: 'all' });
  return [...r.tensors].map(([name, t]) => {
    const d = t.data as Float32Array;
    const mn = Math.min(...d);
    const mx = Math.max(...d);
    return { name, threshold: Math.max(Math.abs(mn), Math.abs(mx)), min: mn, max: mx };
  });
}

async function lowered(rows: CalibrationRow[], m = build()): Promise<Module> {
  importCalibration(m, rows, { processor: 'bm1684' });
  propagateCalibration(m, { processor: 'bm1684' });
  await runPipeline(m, 'convert-top-to-tpu{chip=bm1684 mode=INT8}');
  return m;
}

const opTypes = (m: Module) => m.main.ops.map((o) => o.type).filter((t) => t !== 'top.Weight' && t !== 'top.None' && t !== 'func.return');
const cosine = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += a[i]! * b[i]!; aa += a[i]! ** 2; bb += b[i]! ** 2; }
  return ab / Math.sqrt(aa * bb);
};
const storage = (op: Op): [number, number] => {
  const e = (op.result().type as TensorType).element;
  return e.kind === 'quant.uniform' && e.storage.signedness === 'unsigned' ? [0, 255] : [-128, 127];
};
const ints = (o: Op, name: string): number[] => {
  const a = o.attrs.get(name);
  return a?.kind === 'array' ? a.value.map((v) => Number((v as { value: number | bigint }).value)) : a?.kind === 'int' ? [Number(a.value)] : [];
};

describe('convert-top-to-tpu{chip=bm1684 mode=INT8}', () => {
  it('is the lower hook of bm1684; F16 and BF16 are refused (BM1684 computes float in F32)', () => {
    expect(getTarget('bm1684').lower).toBeTypeOf('function');
    for (const mode of ['F16', 'BF16']) {
      let err: unknown;
      try {
        lowerTopToTpu(build(), { chip: 'bm1684', mode });
      } catch (e) {
        err = e;
      }
      expect(isUserError(err) && err.code).toBe('E_UNSUPPORTED_MODE');
      expect(String((err as Error).message)).toMatch(new RegExp(`bm1684 has no ${mode}: its float type is F32`));
    }
  });

  it('lowers Conv/FC with one rshift, int8 weights and int16 bias; Add, pools, LUT; Softmax float', async () => {
    const m = await lowered(await calibrate(build()));
    expect(opTypes(m)).toEqual([
      'top.Input', 'tpu.Cast', 'tpu.Conv2D', 'tpu.Lut', 'tpu.Conv2D', 'tpu.Conv2D', 'tpu.Add', 'tpu.Pool2D', 'tpu.Pool2D',
      'tpu.Reshape', 'tpu.MatMul', 'tpu.Cast', 'tpu.Softmax',
    ]);
    const ops = new Map(m.main.ops.filter((o) => o.name).map((o) => [o.name!, o]));
    for (const c of ['c1', 'c2', 'c3']) {
      const op = ops.get(c)!;
      expect(op.type).toBe('tpu.Conv2D');
      expect(ints(op, 'rshift')).toHaveLength(1);
      expect(op.attrs.get('multiplier')).toBeUndefined();
      expect(op.attrs.get('relu_limit')).toEqual(expect.objectContaining({ value: -1 }));
      expect(m.weights.get(`${c}_filter_int8`)?.dtype).toBe('i8');
    }
    expect(m.weights.get('c1_bias_int16')?.dtype).toBe('i16');
    expect(m.weights.has('c2_bias_int16')).toBe(false);
    expect(printMlir(m)).toMatch(/"tpu.Conv2D".*quant_mode = "OnlyShift"/);
    const add = ops.get('sum')!;
    for (const v of ints(add, 'multipliers')) expect(v >= 0 && v <= 127).toBe(true);
    // 1/16 from BM1684's table: multiplier 1, rshift 4
    expect([ints(ops.get('ap')!, 'multiplier'), ints(ops.get('ap')!, 'rshift')]).toEqual([[1], [4]]);
    const fc = ops.get('fc')!;
    expect(ints(fc, 'rshifts')).toHaveLength(1);
    expect(fc.attrs.get('multipliers')).toBeUndefined();
    expect(m.weights.get('fc_filter_int8')?.dtype).toBe('i8');
    expect(m.weights.get('fc_bias_int16')?.dtype).toBe('i16');
  });

  it('computes every integer op exactly (BigInt recomputation from its captured inputs) and stays close to float', async () => {
    const rows = await calibrate(build());
    const m = await lowered(rows);
    const got = await (await createSession(m, { backend: 'js' })).run(x(), { capture: 'all' });
    const t = (name: string) => got.tensors.get(name)!.data as Float32Array;
    const w = (o: Op, i: number) => m.weights.get(o.operand(i).producer!.name!)!.data as ArrayLike<number>;
    const clamp = (v: bigint, [lo, hi]: [number, number]) => Math.min(hi, Math.max(lo, Number(v)));
    const ops = new Map(m.main.ops.filter((o) => o.name).map((o) => [o.name!, o]));

    // 1x1 conv c3: (Σ Wq·q) >> r, no bias
    const c3 = ops.get('c3')!;
    const [in3, w3, r3] = [t(c3.operand(0).name!), w(c3, 1), ints(c3, 'rshift')[0]!];
    const want3: number[] = [];
    for (let o = 0; o < 8; o++) for (let p = 0; p < 64; p++) {
      let acc = 0n;
      for (let c = 0; c < 8; c++) acc += BigInt(in3[c * 64 + p]!) * BigInt(w3[o * 8 + c]!);
      want3.push(clamp(rightShiftRoundBig(acc, r3, 'HalfUp'), storage(c3)));
    }
    expect([...t('c3')]).toEqual(want3);

    // Add: Σ RightShiftRound(q_i · m_i, r_i, HalfUp), saturated
    const add = ops.get('sum')!;
    const [ms, rs] = [ints(add, 'multipliers'), ints(add, 'rshifts')];
    const ins = add.operands.map((v) => t(v.name!));
    expect([...t('sum')]).toEqual(Array.from(t('sum'), (_, k) => clamp(ins.reduce((s, a, i) => s + rightShiftRoundBig(BigInt(a[k]!) * BigInt(ms[i]!), rs[i]!, 'HalfUp'), 0n), storage(add))));

    // AvgPool 4x4: window sum · 1 >> 4
    const ap = ops.get('ap')!;
    const mp = t(ap.operand(0).name!);
    const wantAp = Array.from({ length: 8 }, (_, c) => clamp(rightShiftRoundBig(BigInt(mp.slice(c * 16, c * 16 + 16).reduce((s, v) => s + v, 0)), 4, 'HalfUp'), storage(ap)));
    expect([...t('ap')]).toEqual(wantAp);

    // FC: (Σ q·Wq + bias_i16) >> r
    const fc = ops.get('fc')!;
    const [fin, fw, fb, fr] = [t(fc.operand(0).name!), w(fc, 1), w(fc, 2), ints(fc, 'rshifts')[0]!];
    const wantFc = Array.from({ length: 5 }, (_, j) => {
      let acc = BigInt(fb[j]!);
      for (let k = 0; k < 8; k++) acc += BigInt(fin[k]!) * BigInt(fw[k * 5 + j]!);
      return clamp(rightShiftRoundBig(acc, fr, 'HalfUp'), storage(fc));
    });
    expect([...t('fc')]).toEqual(wantFc);

    // int8 codes in range, and the dequantized logits close to the float model's
    expect([...t('c1')].every((v) => Number.isInteger(v) && v >= 0 && v <= 255)).toBe(true);
    const ref = await (await createSession(build(), { backend: 'js' })).run(x());
    expect(cosine(got.outputs.get('fc_f32')!.data as Float32Array, ref.outputs.get('fc')!.data as Float32Array)).toBeGreaterThan(0.98);
    expect(cosine(got.outputs.get('prob')!.data as Float32Array, ref.outputs.get('prob')!.data as Float32Array)).toBeGreaterThan(0.98);
  });

  it('quantizes a constant Add input with its own scale max|c|/127 and adds it exactly', async () => {
    const g = new Graph([1, 2, 2, 2]);
    const c = g.weight('c', ndarray('f32', [1, 2, 1, 1], Float32Array.of(0.5, -0.25)));
    const s = top.add(g.b, { inputs: [g.x, c] }, {}, { loc: 's' });
    const m = g.finish(s.result()).module;
    importCalibration(m, [{ name: 'x', threshold: 2, min: -2, max: 2 }, { name: 's', threshold: 2.5, min: -2.5, max: 2.5 }], { processor: 'bm1684' });
    propagateCalibration(m, { processor: 'bm1684' });
    expect(lowerTopToTpu(m, { chip: 'bm1684', mode: 'INT8' }).int8).toBe(1);
    // 0.5 / (0.5/127) = 127, -0.25 / (0.5/127) = -63.5 → -64 (half away from zero)
    expect(m.weights.get('c_i8')?.dtype).toBe('i8');
    expect([...(m.weights.get('c_i8')!.data as Int8Array)]).toEqual([127, -64]);
    const add = m.main.ops.find((o) => o.type === 'tpu.Add')!;
    const [ms, rs] = [ints(add, 'multipliers'), ints(add, 'rshifts')];
    const xs = Float32Array.of(1, -1, 0.3, 2, -2, 0.01, 1.5, -0.7);
    const got = (await (await createSession(m, { backend: 'js' })).run({ x: ndarray('f32', [1, 2, 2, 2], xs) }, { capture: 'all' })).tensors;
    const q = got.get('x_i8')!.data as Float32Array;
    const want = Array.from(q, (v, i) => {
      const sum = rightShiftRoundBig(BigInt(v) * BigInt(ms[0]!), rs[0]!, 'HalfUp') + rightShiftRoundBig(BigInt(i < 4 ? 127 : -64) * BigInt(ms[1]!), rs[1]!, 'HalfUp');
      return Math.min(127, Math.max(-128, Number(sum)));
    });
    expect([...(got.get('s')!.data as Float32Array)]).toEqual(want);
  });

  it('lowers in F32 where TPU-MLIR does: a conv whose weights cannot take Si/So, a negative Add coefficient, ReduceMean', async () => {
    const g = new Graph([1, 2, 4, 4]);
    const big = g.weight('big', ndarray('f32', [2, 2, 1, 1], Float32Array.of(200, -3, 1, 2)));
    const c = top.conv(g.b, { input: g.x, filter: big }, { kernel_shape: [1, 1] }, { loc: 'c' });
    const d = top.add(g.b, { inputs: [c, g.x] }, { coeff: [1, -1] }, { loc: 'd' });
    const rm = top.reduce(g.b, { input: d }, { axes: [2, 3], keepdims: true, mode: 'ReduceMean' }, { loc: 'rm' });
    const m = g.finish(rm.result()).module;
    importCalibration(m, [
      { name: 'x', threshold: 1, min: -1, max: 1 },
      { name: 'c', threshold: 1, min: -1, max: 1 },
      { name: 'd', threshold: 2, min: -2, max: 2 },
      { name: 'rm', threshold: 2, min: -2, max: 2 },
    ], { processor: 'bm1684' });
    propagateCalibration(m, { processor: 'bm1684' });
    const rep = lowerTopToTpu(m, { chip: 'bm1684', mode: 'INT8' });
    expect(rep.int8).toBe(0);
    expect(Object.fromEntries(rep.float)).toEqual({ 'top.Conv': 1, 'top.Add': 1, 'top.Reduce': 1 });
    // BM1684's only float type: the fallbacks compute in F32 (deploy.md §3.8), no casts between them;
    // Conv, Add and ReduceMean (over H, W: a global average pool) become F32 tpu ops (upstream's LoweringF32)
    const lowered = m.main.ops.filter((o) => !['top.Weight', 'top.None', 'top.Input', 'func.return'].includes(o.type));
    for (const o of lowered) expect((o.result().type as TensorType).element).toEqual(f32);
    expect(opTypes(m)).toEqual(['top.Input', 'tpu.Conv2D', 'tpu.Add', 'tpu.Pool2D']);
  });
});

describe('convert-top-to-tpu{chip=bm1684 mode=F32}', () => {
  it('lowers to f32 tpu ops that compute what the float module does', async () => {
    const m = build();
    await runPipeline(m, 'convert-top-to-tpu{chip=bm1684 mode=F32}');
    expect(opTypes(m)).toEqual(['top.Input', 'tpu.Conv2D', 'top.Relu', 'tpu.Conv2D', 'tpu.Conv2D', 'tpu.Add', 'tpu.Pool2D', 'tpu.Pool2D', 'tpu.Reshape', 'tpu.MatMul', 'tpu.Softmax']);
    expect(printMlir(m)).toContain('module.chip = "bm1684"');
    const got = await (await createSession(m, { backend: 'js' })).run(x());
    const ref = await (await createSession(build(), { backend: 'js' })).run(x());
    for (const [name, a] of ref.outputs) {
      const b = got.outputs.get(name)!.data as Float32Array;
      (a.data as Float32Array).forEach((v, i) => expect(Math.abs(b[i]! - v)).toBeLessThan(1e-5 * Math.max(1, Math.abs(v))));
    }
  });
});
