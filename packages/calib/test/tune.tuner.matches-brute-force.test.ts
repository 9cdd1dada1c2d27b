// The auto-tuner against a brute-force re-implementation of spec §4.10 that runs the whole model
// (js runtime, runFrom with a fake-quant-weight model) instead of one-op modules, on a graph with a
// re-tuned input (all inputs tuned before), two inputs tuned at once, a multi-result op and a
// conv whose bias is top.None.
import { describe, expect, it } from 'vitest';
import type { Module, NdArray, Value } from '@tpu-quant/ir';
import { f32 as F32, Func, fusedLoc, Module as IrModule, ndarray, Op, OpBuilder, tensorType, top } from '@tpu-quant/ir';
import { createSession } from '@tpu-quant/runtime';
import { fakeQuantActivation, fakeQuantWeightsForTune, findBetterThreshold, tuneThresholds } from '../src/tune/index.js';

const IN = [1, 4, 6, 6];

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

function arr(shape: number[], seed: number, scale = 1): NdArray<'f32'> {
  const n = shape.reduce((a, c) => a * c, 1);
  return ndarray('f32', shape, Float32Array.from({ length: n }, (_, i) => rand(seed * 7919 + i) * scale));
}

/**
 *   x → c1 (conv 3×3, bias) → r (relu)
 *   s = add(c1, x)           all inputs tuned before: re-tunes c1 only
 *   t = add(r, s)            tunes r and s
 *   sa, sb = split(t)        multi-result op
 *   u = add(sa, sb)
 *   c2 = conv 1×1 (u), no bias (top.None)
 */
function net(): Module {
  const m = new IrModule('tune_net');
  const f = m.addFunc(new Func('main'));
  const b = new OpBuilder(f);
  const x = top.input(b, { input: f.addArgument(tensorType(IN, F32)) }, {}, { loc: 'x' }).result();
  const conv = (name: string, input: Value, oc: number, ic: number, k: number, bias: boolean, seed: number) => top.conv(b, {
    input, filter: b.weight(`${name}_w`, arr([oc, ic, k, k], seed, 0.5)), ...(bias ? { bias: b.weight(`${name}_b`, arr([oc], seed + 1, 0.2)) } : {}),
  }, { kernel_shape: [k, k], strides: [1, 1], pads: [k >> 1, k >> 1, k >> 1, k >> 1] }, { loc: name }).result();
  const c1 = conv('c1', x, 4, 4, 3, true, 10);
  const r = top.relu(b, { input: c1 }, {}, { loc: 'r' }).result();
  const s = top.add(b, { inputs: [c1, x] }, {}, { loc: 's' }).result();
  const t = top.add(b, { inputs: [r, s] }, {}, { loc: 't' }).result();
  const sp = top.split(b, { input: t }, { axis: 1, num: 2 }, { loc: fusedLoc(['sa', 'sb']) });
  const u = top.add(b, { inputs: [sp.result(0), sp.result(1)] }, {}, { loc: 'u' }).result();
  const c2 = conv('c2', u, 3, 2, 1, false, 20);
  f.resultTypes = [c2.type];
  f.append(new Op('func.return', { operands: [c2] }));
  return m;
}

const samples = [1, 2, 3].map((k) => new Map([['x', arr(IN, 100 + k, 2)]]));

async function absmaxOf(m: Module): Promise<Map<string, number>> {
  const s = await createSession(m, { backend: 'js' });
  const out = new Map<string, number>();
  for (const x of samples) {
    const { tensors } = await s.run(x, { capture: 'all' });
    for (const [k, v] of tensors) out.set(k, Math.max(out.get(k) ?? 0, ...Array.from(v.data as Float32Array, Math.abs)));
  }
  return out;
}

type Trace = [op: string, tensor: string, th: number, distance: number][];

/** Spec §4.10 written out plainly, evaluating each op through runFrom on the whole model. */
async function bruteForce(m: Module, th: ReadonlyMap<string, number>, hi: ReadonlyMap<string, number>, trace: Trace = [], steps = 21, minDiff = 0.01): Promise<Map<string, number>> {
  const fp = await createSession(m, { backend: 'js' });
  const refs = await Promise.all(samples.map(async (x) => (await fp.run(x, { capture: 'all' })).tensors));
  const original = m.weights;
  m.weights = fakeQuantWeightsForTune(m);
  const fq = await createSession(m, { backend: 'js' });
  m.weights = original;
  const table = new Map(th);
  const tuned = new Set<string>();
  for (const op of m.main.ops) {
    if (['top.Input', 'top.Weight', 'top.None', 'func.return'].includes(op.type)) continue;
    const ins = [...new Set(op.operands.filter((v) => v.producer && !['top.Weight', 'top.None'].includes(v.producer.type)).map((v) => v.name!))];
    const outs = op.results.map((r) => r.name!);
    const pick = ins.every((n) => tuned.has(n)) ? ins.slice(0, 1) : ins.filter((n) => !tuned.has(n));
    for (const name of pick) {
      tuned.add(name);
      const th0 = th.get(name)!;
      const top = hi.get(name)!;
      if (!(top - th0 > minDiff)) continue;
      const step = (top - th0) / steps;
      let best = th0;
      let bestD = Infinity;
      for (let j = 0; j <= steps; j++) {
        const cand = th0 + step * j;
        let d = 0;
        for (const ref of refs) {
          const cached = new Map(ref);
          for (const i of ins) cached.set(i, ndarray('f32', ref.get(i)!.shape, fakeQuantActivation(ref.get(i)!.data as Float32Array, cand)));
          const got = (await fq.runFrom(outs[0]!, cached, { capture: outs })).tensors;
          let l2 = 0;
          let l1 = 0;
          for (const o of outs) {
            const a = ref.get(o)!.data as Float32Array;
            const b = got.get(o)!.data as Float32Array;
            for (let k = 0; k < a.length; k++) {
              l2 += (a[k]! - b[k]!) ** 2;
              l1 += Math.abs(a[k]!);
            }
          }
          d += Math.sqrt(l2) / l1;
        }
        d /= refs.length;
        trace.push([op.name!, name, cand, d]);
        // the first candidate with the smallest distance (a later one must be strictly better)
        if (d < bestD) {
          bestD = d;
          best = cand;
        }
      }
      table.set(name, Math.max(table.get(name)!, best));
    }
  }
  return table;
}

describe('tuneThresholds', () => {
  it('matches the brute-force search and only raises thresholds', async () => {
    const m = net();
    const hi = await absmaxOf(m);
    expect([...hi.keys()]).toEqual(['x', 'c1', 'r', 's', 't', 'sa', 'sb', 'u', 'c2']);
    const th = new Map([...hi].map(([k, v], i) => [k, v * (0.3 + 0.05 * i)]));
    const want: Trace = [];
    const expected = await bruteForce(m, th, hi, want);
    const trace: Trace = [];
    const got = await tuneThresholds(m, th, hi, samples, { backend: 'js', onCandidate: (...c) => trace.push(c) });
    expect(got).toEqual(expected);
    // the same candidates for the same (op, input) jobs, at the same distances (up to float32
    // differences: the tuner subtracts in float32 as numpy does)
    expect(trace.map((t) => t.slice(0, 3))).toEqual(want.map((t) => t.slice(0, 3)));
    trace.forEach((t, i) => expect(Math.abs(t[3] - want[i]![3]) / want[i]![3]).toBeLessThan(1e-6));
    // every activation the graph reads was tuned, c1 twice (by r, then re-tuned by s)
    expect([...new Set(trace.map((t) => `${t[0]}:${t[1]}`))]).toEqual(['c1:x', 'r:c1', 's:c1', 't:r', 't:s', 'sa:t', 'u:sa', 'u:sb', 'c2:u']);
    let raised = 0;
    for (const [k, v] of got) {
      expect(v).toBeGreaterThanOrEqual(th.get(k)!);
      if (v > th.get(k)!) raised++;
    }
    expect(raised).toBeGreaterThanOrEqual(4);
    // nobody reads c2, so it keeps its threshold
    expect(got.get('c2')).toBe(th.get('c2'));
  });

  it('a tensor tuned by two consumers keeps the larger best (thresholds only grow)', async () => {
    // c1 → relu wants a large threshold for c1; c1 → relu capped at 0.3 (re-tuning c1, its only
    // input, tuned before) gains nothing above 0.3 and prefers the finest steps: the first candidate
    const m = new IrModule('two_consumers');
    const f = m.addFunc(new Func('main'));
    const b = new OpBuilder(f);
    const x = top.input(b, { input: f.addArgument(tensorType(IN, F32)) }, {}, { loc: 'x' }).result();
    const c1 = top.conv(b, { input: x, filter: b.weight('w', arr([4, 4, 3, 3], 5, 2)) }, { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] }, { loc: 'c1' }).result();
    const r = top.relu(b, { input: c1 }, {}, { loc: 'r' }).result();
    const q = top.relu(b, { input: c1 }, { relu_limit: 0.3 }, { loc: 'q' }).result();
    f.resultTypes = [r.type, q.type];
    f.append(new Op('func.return', { operands: [r, q] }));
    const hi = await absmaxOf(m);
    expect(hi.get('c1')).toBeGreaterThan(5);
    const th = new Map([...hi].map(([k, v]) => [k, v * 0.3]));
    th.set('c1', 0.5);
    const trace: Trace = [];
    const got = await tuneThresholds(m, th, hi, samples, { backend: 'js', onCandidate: (...c) => trace.push(c) });
    const bestOf = (op: string) => {
      const job = trace.filter((t) => t[0] === op && t[1] === 'c1');
      return job.reduce((best, t) => (t[3] < best[3] ? t : best))[2];
    };
    expect(bestOf('q')).toBe(0.5);
    expect(bestOf('r')).toBeGreaterThan(1);
    expect(got.get('c1')).toBe(bestOf('r'));
    expect(await bruteForce(m, th, hi)).toEqual(got);
  });

  it('fakeQuantWeights: false runs the ops with float weights (what TPU-MLIR actually does)', async () => {
    const m = net();
    const hi = await absmaxOf(m);
    const th = new Map([...hi].map(([k, v]) => [k, v * 0.5]));
    const withFq: Trace = [];
    const without: Trace = [];
    await tuneThresholds(m, th, hi, samples, { backend: 'js', onCandidate: (...c) => withFq.push(c) });
    await tuneThresholds(m, th, hi, samples, { backend: 'js', fakeQuantWeights: false, onCandidate: (...c) => without.push(c) });
    const at = (t: Trace, op: string) => t.find((c) => c[0] === op)![3];
    // relu has no weights; the convs see their quantised weights' error
    expect(at(without, 'r')).toBe(at(withFq, 'r'));
    expect(at(without, 'c1')).not.toBe(at(withFq, 'c1'));
    expect(at(without, 'c2')).not.toBe(at(withFq, 'c2'));
  });

  it('worker threads give the same table and the same candidate trace, in op order', async () => {
    const m = net();
    const hi = await absmaxOf(m);
    const th = new Map([...hi].map(([k, v], i) => [k, v * (0.3 + 0.05 * i)]));
    const here: Trace = [];
    const one = await tuneThresholds(m, th, hi, samples, { backend: 'wasm', threads: 1, onCandidate: (...c) => here.push(c) });
    const threaded: Trace = [];
    const progress: string[] = [];
    const two = await tuneThresholds(m, th, hi, samples, {
      backend: 'wasm', threads: 2, onCandidate: (...c) => threaded.push(c), onProgress: (_d, _t, op) => progress.push(op),
    });
    expect(two).toEqual(one);
    expect(threaded).toEqual(here);
    expect(threaded.length).toBeGreaterThan(20);
    expect(progress).toEqual(m.main.ops.filter((o) => !['top.Weight', 'top.None', 'func.return'].includes(o.type)).map((o) => o.name ?? o.type));
  });

  it('the wasm backend chooses the same thresholds', async () => {
    const m = net();
    const hi = await absmaxOf(m);
    const th = new Map([...hi].map(([k, v]) => [k, v * 0.4]));
    const js = await tuneThresholds(m, th, hi, samples, { backend: 'js' });
    expect(await tuneThresholds(m, th, hi, samples, { backend: 'wasm' })).toEqual(js);
  });

  it('leaves a tensor whose absmax exceeds its threshold by ≤ minTunedDiff unchanged', async () => {
    const m = net();
    const hi = await absmaxOf(m);
    // c1 at a tiny threshold: any larger candidate clips less, so a search would move it
    const th = new Map([...hi].map(([k, v]) => [k, v * 0.5]));
    th.set('c1', 0.05);
    hi.set('c1', 0.0595);
    const searched = await tuneThresholds(m, th, hi, samples, { backend: 'js', minTunedDiff: 0.001 });
    expect(searched.get('c1')).toBeGreaterThan(0.05);
    const kept = await tuneThresholds(m, th, hi, samples, { backend: 'js' });
    expect(kept.get('c1')).toBe(0.05);
    // and a threshold above the absmax never moves
    th.set('r', hi.get('r')! * 1.5);
    expect((await tuneThresholds(m, th, hi, samples, { backend: 'js' })).get('r')).toBe(th.get('r'));
  });

  it('returns every tensor of the table; ≤ 1e-5 or NaN becomes 1e-5', async () => {
    const m = net();
    const hi = await absmaxOf(m);
    const th = new Map([...hi].map(([k, v]) => [k, v]));
    th.set('elsewhere', 3);
    th.set('zero', 0);
    th.set('nan', Number.NaN);
    th.set('c2', 1e-6);
    const got = await tuneThresholds(m, th, hi, samples, { backend: 'js' });
    expect([...got.keys()]).toEqual([...th.keys()]);
    expect(got.get('elsewhere')).toBe(3);
    expect(got.get('zero')).toBe(1e-5);
    expect(got.get('nan')).toBe(1e-5);
    expect(got.get('c2')).toBe(1e-5);
    for (const k of hi.keys()) if (k !== 'c2') expect(got.get(k)).toBe(th.get(k)); // th == absmax: nothing to search
  });

  it('reports progress per op and needs samples', async () => {
    const m = net();
    const hi = await absmaxOf(m);
    const seen: [number, number, string][] = [];
    await tuneThresholds(m, hi, hi, samples, { backend: 'js', onProgress: (d, t, op) => seen.push([d, t, op]) });
    expect(seen.map((s) => s[2])).toEqual(['x', 'c1', 'r', 's', 't', 'sa', 'u', 'c2']);
    expect(seen.at(-1)!.slice(0, 2)).toEqual([8, 8]);
    await expect(tuneThresholds(m, hi, hi, [], {})).rejects.toThrow(/at least one tune sample/);
  });
});

describe('findBetterThreshold', () => {
  const steps = 21;

  it('keeps the first candidate with the smallest distance (strictly better to move)', async () => {
    const dist = async (ths: readonly number[]) => ths.map((th) => Math.abs(th - 1.37));
    const th0 = 1;
    const hi = 2;
    const step = (hi - th0) / steps;
    const cands = Array.from({ length: steps + 1 }, (_, j) => th0 + step * j);
    const want = cands.reduce((b, c) => (Math.abs(c - 1.37) < Math.abs(b - 1.37) ? c : b));
    expect(await findBetterThreshold(th0, hi, { steps, minDiff: 0.01, findLower: false }, dist)).toBe(want);
    // a flat distance never moves off th0
    expect(await findBetterThreshold(th0, hi, { steps, minDiff: 0.01, findLower: false }, async (ths) => ths.map(() => 1))).toBe(th0);
  });

  it('find_lower_th: starts at th0/3, refines ±1 step around the best, but the best starts as th0', async () => {
    const target = 0.9;
    const dist = async (ths: readonly number[]) => ths.map((th) => Math.abs(th - target));
    const th0 = 1;
    const hi = 2;
    const lo = th0 / 3;
    const step = (hi - lo) / steps;
    const coarse = Array.from({ length: steps }, (_, j) => lo + step * (j + 1));
    const c = coarse.reduce((b, x) => (dist0(x) < dist0(b) ? x : b));
    const fine = Array.from({ length: 9 }, (_, j) => c - step + ((2 * step) / 10) * (j + 1));
    const want = [c, ...fine].reduce((b, x) => (dist0(x) < dist0(b) ? x : b));
    expect(want).not.toBe(c);
    expect(await findBetterThreshold(th0, hi, { steps, minDiff: 0.01, findLower: true }, dist)).toBeCloseTo(want, 12);
    // when th0/3 itself is best it only sets the baseline: the answer stays th0
    expect(await findBetterThreshold(th0, hi, { steps, minDiff: 0.01, findLower: true }, async (ths) => [...ths])).toBe(th0);

    function dist0(x: number): number {
      return Math.abs(x - target);
    }
  });
});
