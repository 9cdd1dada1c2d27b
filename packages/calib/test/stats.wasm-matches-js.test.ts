// The WebAssembly SIMD kernels (src/stats/wasm) against the reference js loops (src/stats/scan.ts,
// addHistogram): bit-equal counts, bins, extremes and tails on awkward sizes and values; float64
// sums equal up to the order the lanes add in.
import { describe, expect, test } from 'vitest';
import { StatsCollector, type TensorInfo } from '../src/stats/index.js';
import { JsScan, type SampleScan } from '../src/stats/scan.js';
import { TopK } from '../src/stats/top-k.js';
import { WasmScan } from '../src/stats/wasm/wasm-scan.js';
import { cases, sample } from './fixtures/stats/samples.js';

let seed = 7;
const rnd = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;

/** Values with zeros, negative zeros, ties, tiny and large magnitudes. */
function awkward(n: number): Float32Array {
  return Float32Array.from({ length: n }, () => {
    const r = rnd();
    if (r < 0.25) return 0;
    if (r < 0.28) return -0;
    if (r < 0.33) return 6; // a saturated ReLU6
    if (r < 0.35) return (rnd() - 0.5) * 1e-38; // subnormal-ish
    if (r < 0.36) return (rnd() - 0.5) * 1e6;
    return (rnd() - 0.4) * 3;
  });
}

const SIZES = [1, 2, 3, 4, 5, 7, 8, 63, 1000, 4097, 40001];
const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(b)));

describe('wasm kernels match the js loops', () => {
  const js: SampleScan = new JsScan();
  const wasm: SampleScan = new WasmScan();

  test.each(SIZES)('moments, n = %i', (n) => {
    const x = awkward(n);
    js.load(x);
    wasm.load(x);
    const a = js.moments();
    const b = wasm.moments();
    expect([b.min, b.max, b.nonZero]).toEqual([a.min, a.max, a.nonZero]);
    close(b.sum, a.sum);
    close(b.sumAbs, a.sumAbs);
  });

  test.each(SIZES)('histogram, n = %i', (n) => {
    const x = awkward(n);
    js.load(x);
    wasm.load(x);
    const zeros = js.moments().nonZero;
    for (const [th, bins] of [[6, 2048], [3, 64], [1e6, 16], [0.5, 128], [1e-30, 8]] as const) {
      const a = new Float64Array(bins);
      const b = new Float64Array(bins);
      js.histogram(th, a, n - zeros);
      wasm.histogram(th, b, n - zeros);
      expect([...b], `th ${th} bins ${bins}`).toEqual([...a]);
    }
  });

  test('histogram of the numpy fixtures, wasm', () => {
    for (const c of cases.histogram) {
      const x = sample(c.gen);
      wasm.load(x);
      const counts = new Float64Array(c.bins);
      wasm.histogram(c.th, counts, x.filter((v) => v === 0).length);
      const want = new Float64Array(c.bins);
      for (const [i, k] of c.counts) want[i] = k;
      expect([...counts]).toEqual([...want]);
    }
  });

  test('histogram: NaN and values past the last bin are dropped', () => {
    const x = new Float32Array([NaN, 1, 2, 100, -NaN, 0.5, 3, Infinity]);
    for (const s of [js, wasm]) {
      s.load(x);
      const counts = new Float64Array(4);
      s.histogram(3, counts, 0);
      expect([...counts]).toEqual([0, 2, 1, 1]);
    }
  });

  test('tails over several samples (alone and with the moments)', () => {
    for (const k of [1, 4, 37]) {
      const tops = [js, wasm].map(() => [new TopK(k), new TopK(k)] as const);
      for (let s = 0; s < 5; s++) {
        const x = awkward(1000 + s);
        [js, wasm].forEach((scan, i) => {
          scan.load(x);
          if (s % 2) scan.tails(tops[i]![0], tops[i]![1]);
          else scan.moments(tops[i]![0], tops[i]![1]); // the fused pass
        });
      }
      expect(tops[1]![0].ranks()).toEqual(tops[0]![0].ranks());
      expect(tops[1]![1].ranks()).toEqual(tops[0]![1].ranks());
    }
  });

  test.each(SIZES)('central sums and OCTAV steps, n = %i', (n) => {
    const x = awkward(n);
    js.load(x);
    wasm.load(x);
    for (const s of [0, 0.3, 2.5, 6, 1e7]) {
      const a = js.central(0.125, Math.fround(s));
      const b = wasm.central(0.125, Math.fround(s));
      expect(b.count).toBe(a.count);
      for (const key of ['absDev', 'm2', 'm4', 'above'] as const) close(b[key], a[key]);
      for (const [t, rescan] of [[Math.fround(s * 1.5 + 0.1), false], [Math.fround(s * 0.5), true], [Math.fround(s + 1), false]] as const) {
        const p = js.octavStep(t, rescan);
        const q = wasm.octavStep(t, rescan);
        expect(q.count).toBe(p.count);
        close(q.sum, p.sum);
      }
    }
  });
});

describe('the collector gives the same summaries with either kernels', () => {
  const info = (size: number): TensorInfo => ({ name: 't', opIndex: 1, opCount: 3, opType: 'top.Conv', isInput: false, size });
  test.each(cases.combine.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const xs = c.gens.map(sample);
    const run = (kernels: 'js' | 'wasm') => {
      const col = new StatsCollector([info(xs[0]!.length)], { inputNum: xs.length + 1, binNum: c.binNum, kernels });
      for (const x of xs) {
        col.add('t', x);
        col.endSample();
      }
      return col.summarize()[0]!;
    };
    const [a, b] = [run('js'), run('wasm')];
    expect([...b.hist.counts]).toEqual([...a.hist.counts]);
    expect([b.hist.th, b.hist.width, b.min, b.max, b.maxAbs, b.pctMin, b.pctMax, b.last5]).toEqual([a.hist.th, a.hist.width, a.min, a.max, a.maxAbs, a.pctMin, a.pctMax, a.last5]);
    for (const key of ['octav', 'aciqGauss', 'aciqLaplace', 'kurtosis'] as const) close(b[key], a[key]);
  });
});
