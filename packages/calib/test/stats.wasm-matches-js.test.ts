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

  test('histogram: values at and beside the bin edges, huge and tiny ones, many bins', () => {
    // the vector loop's floor-and-exponent arithmetic against the reference, on the values where
    // a rounding slip would move a count: q = |x| / w at k + 0.5 and one float32 ulp either side
    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    const step = (v: number, d: number) => ((f32[0] = v), (u32[0] = u32[0]! + d), f32[0]!);
    for (const [th, bins, n] of [[6, 2048, 40000], [1.7, 2048, 33000], [0.37, 65536, 40004]] as const) {
      const w = Math.fround(th / (bins - 1));
      const x = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const k = Math.floor(rnd() * (bins + 2));
        const edge = Math.fround((k + 0.5) * w);
        const r = rnd();
        const v = r < 0.3 ? edge : r < 0.55 ? step(edge, -1) : r < 0.8 ? step(edge, 1) : r < 0.85 ? 3e38 * rnd() : r < 0.9 ? 1e-40 * rnd() : r < 0.95 ? 0 : th;
        x[i] = rnd() < 0.5 ? -v : v;
      }
      x[7] = Infinity;
      x[8] = NaN;
      js.load(x);
      wasm.load(x);
      const zeros = n - js.moments().nonZero;
      const a = new Float64Array(bins);
      const b = new Float64Array(bins);
      js.histogram(th, a, zeros);
      wasm.histogram(th, b, zeros);
      expect(b.reduce((s, c) => s + c, 0), `th ${th} bins ${bins}`).toBeGreaterThan(n / 2);
      expect([...b], `th ${th} bins ${bins}`).toEqual([...a]);
    }
  });

  test.each(SIZES)('histogram counted in the moments pass (guessed range), n = %i', (n) => {
    const x = awkward(n);
    js.load(x);
    const want = js.moments();
    for (const [th, bins] of [[6, 2048], [3, 64], [1e6, 16], [0.5, 128], [0, 8]] as const) {
      const a = new Float64Array(bins);
      js.histogram(th, a, n - want.nonZero);
      // the guess right, the guess wrong (another range, another bin number), no histogram after
      for (const guess of [{ th, bins }, { th: th * 2, bins }, { th, bins: bins + 4 }, undefined]) {
        wasm.load(x);
        const m = wasm.moments(undefined, undefined, guess);
        expect([m.min, m.max, m.nonZero]).toEqual([want.min, want.max, want.nonZero]);
        close(m.sum, want.sum);
        const b = new Float64Array(bins);
        wasm.histogram(th, b, n - m.nonZero);
        expect([...b], `th ${th} bins ${bins} guess ${JSON.stringify(guess)}`).toEqual([...a]);
      }
      // a guess left unused does not leak into the next tensor's histogram
      wasm.load(x);
      wasm.moments(undefined, undefined, { th, bins });
      const y = awkward(n);
      wasm.load(y);
      js.load(y);
      const zy = n - js.moments().nonZero;
      wasm.moments();
      const c = new Float64Array(bins);
      const d = new Float64Array(bins);
      wasm.histogram(th, c, zy);
      js.histogram(th, d, zy);
      expect([...c]).toEqual([...d]);
      js.load(x);
    }
  });

  test('a tensor in a block of the kernels\' shared memory is read in place', () => {
    const scan = new WasmScan();
    const mem = scan.sharedMemory()!;
    expect(mem).toBeInstanceOf(SharedArrayBuffer);
    const n = 4001;
    const at = scan.allocBlock(4 * n);
    const x = new Float32Array(scan.sharedMemory()!, at, n);
    x.set(awkward(n));
    js.load(x.slice());
    scan.load(x);
    const want = js.moments();
    expect(scan.moments()).toEqual({ ...want, sum: scan.moments().sum, sumAbs: scan.moments().sumAbs });
    // no copy was taken: the kernels see a change made after load()
    x[5] = 1e30;
    expect(scan.moments().max).toBe(Math.fround(1e30));
    // a later, larger tensor is copied as before, and the block stays intact
    const y = awkward(50000);
    scan.load(y);
    js.load(y);
    expect(scan.moments().nonZero).toBe(js.moments().nonZero);
    expect(x[5]).toBe(Math.fround(1e30));
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
