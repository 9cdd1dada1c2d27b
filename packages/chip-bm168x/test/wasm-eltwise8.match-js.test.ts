// The element-wise and pooling wasm kernels (src/kernels/wasm-eltwise8.ts) against the js
// expressions they replace, element for element (Object.is: −0 and NaN count), on random and edge
// inputs (ties, saturation, NaN, ±Inf, −0, sizes that are no multiple of 16, several chunks), and
// their refusals (a wrapper answering false must leave the js loop to run).
import { describe, expect, it } from 'vitest';
import { roundHalfAwayFromZero } from '../src/quant/rounding.js';
import { roundBF16InPlace, roundF16InPlace } from '@tpu-quant/runtime';
import { addPairWasm, codeLookupWasm, dequantizeWasm, lutWasm, maxPoolWasm, mulPairWasm, quantizeWasm, roundFloatWasm } from '../src/kernels/wasm-eltwise8.js';
import { int8Wasm } from '../src/kernels/wasm-int8.js';
import { seededRandom } from './helpers.js';

const rnd = seededRandom(1129);
const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));

/** Sizes around the 16-lane blocks and past one 16384-float chunk. */
const SIZES = [64, 65, 79, 100, 1000, 16384, 16385, 40001];

function codes(n: number, lo: number, hi: number): Float32Array {
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = rnd() < 0.1 ? (rnd() < 0.5 ? lo : hi) : int(lo, hi);
  return d;
}

function firstDiff(got: Float32Array, want: ArrayLike<number>): string {
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], Math.fround(want[i]!))) return `[${i}] wasm ${got[i]} js ${want[i]}`;
  return '';
}

describe('wasm element-wise kernels match the js loops', () => {
  it('loads the wasm module', () => {
    expect(int8Wasm).toBeDefined();
  });

  it('tpu.Lut: table[x & 255] for code and float tables and any |x| < 2^31', () => {
    for (const n of SIZES) {
      for (const kind of ['int8', 'uint8', 'float']) {
        const table = Float32Array.from({ length: 256 }, () => (kind === 'int8' ? int(-128, 127) : kind === 'uint8' ? int(0, 255) : (rnd() - 0.5) * 1e3));
        if (kind === 'float') table.set([NaN, -0, Infinity], 7);
        const x = codes(n, -128, 255);
        // odd inputs the js ToInt32 byte also handles: −0, fractions, NaN, large values
        const odd = [-0, 0.5, -0.5, 127.9, -128.7, NaN, 1e9, -1e9, 2147483520, -2147483520, 7, 8, 9];
        for (let i = 0; i < odd.length && i < n; i++) x[(i * 7919) % n] = odd[i]!;
        const out = new Float32Array(n).fill(12345);
        expect(lutWasm(x, table, out)).toBe(true);
        expect(firstDiff(out, Array.from(x, (v) => table[v & 255]!)), `${n} ${kind}`).toBe('');
      }
    }
  });

  it('tpu.Lut: declines ±Inf and |x| ≥ 2^31 (ToInt32 wraps there)', () => {
    const table = Float32Array.from({ length: 256 }, (_, j) => j - 128);
    for (const v of [Infinity, -Infinity, 2 ** 31, -(2 ** 31), -(2 ** 32)]) {
      const x = codes(100, -128, 127);
      x[37] = v;
      expect(lutWasm(x, table, new Float32Array(100)), String(v)).toBe(false);
    }
  });

  it('code tables: tab[x + 128] for the codes −128..255; any other value (−0 too) declines', () => {
    for (const n of SIZES) {
      const tab = Float64Array.from({ length: 384 }, () => (rnd() < 0.5 ? int(-128, 255) : (rnd() - 0.5) * 100));
      tab[128] = -0;
      const x = codes(n, -128, 255);
      const out = new Float32Array(n).fill(12345);
      expect(codeLookupWasm(x, tab, out)).toBe(true);
      expect(firstDiff(out, Array.from(x, (v) => tab[v + 128]!)), String(n)).toBe('');
    }
    const tab = Float64Array.from({ length: 384 }, (_, k) => k);
    const x = codes(200, -128, 255);
    expect(codeLookupWasm(x, tab, new Float32Array(200))).toBe(true);
    for (const v of [-0, 0.5, -127.5, NaN, Infinity, -Infinity, -129, 256, 1e9]) {
      const y = x.slice();
      y[131] = v;
      expect(codeLookupWasm(y, tab, new Float32Array(200)), String(v)).toBe(false);
    }
  });

  it('quantizing Cast: round half away from zero, zero point, saturation, NaN → lo, −0 → +0', () => {
    const jsQuant = (x: ArrayLike<number>, scale: number, zp: number, lo: number, hi: number): number[] =>
      Array.from(x, (v) => {
        const q = roundHalfAwayFromZero(v / scale) + zp;
        return q > hi ? hi : q >= lo ? q : lo;
      });
    const cases: [number, number, number, number][] = [[0.5, 0, -128, 127], [0.25, 3, -128, 127], [1 / 3, 0, -128, 127], [0.0173, 128, 0, 255], [0.1, -5, -128, 127], [3e-4, 0, 0, 255], [0.07, -0, 0, 255], [0.5, -0, -128, 127]];
    for (const n of SIZES) {
      for (const [scale, zp, lo, hi] of cases) {
        const x = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          const r = rnd();
          // ties (k + 0.5)·scale, values past the range, and the odd floats
          x[i] = r < 0.3 ? (int(-300, 300) + 0.5) * scale : r < 0.9 ? (rnd() - 0.5) * 300 * scale : [NaN, Infinity, -Infinity, -0, 0, 1e30, -1e-30, 2 ** 60][int(0, 7)]!;
        }
        const out = new Float32Array(n).fill(NaN);
        expect(quantizeWasm(x, scale, zp, lo, hi, out)).toBe(true);
        expect(firstDiff(out, jsQuant(x, scale, zp, lo, hi)), `${n} ${scale} ${zp}`).toBe('');
      }
    }
  });

  it('dequantizing Cast: fround(s·(q − zp)) on integer codes; fractions, NaN and ±Inf decline', () => {
    for (const n of SIZES) {
      for (const [scale, zp] of [[0.0173, 0], [Math.fround(0.1), 128], [Math.fround(1e-3), -7]] as const) {
        const s = Math.fround(scale);
        const x = codes(n, -128, 255);
        x[n >> 1] = -0;
        const out = new Float32Array(n).fill(NaN);
        expect(dequantizeWasm(x, s, zp, out)).toBe(true);
        expect(firstDiff(out, Array.from(x, (v) => s * (v - zp)))).toBe('');
      }
    }
    for (const v of [0.5, NaN, Infinity, -Infinity, 2 ** 25]) {
      const x = codes(100, -128, 127);
      x[50] = v;
      expect(dequantizeWasm(x, 0.5, 0, new Float32Array(100)), String(v)).toBe(false);
    }
  });

  it('residual INT8 Add: two shifted terms in f64, clamped; reports max |x| (NaN when one is NaN)', () => {
    for (const n of SIZES) {
      for (const [m0, r0, m1, r1, zp, lo, hi] of [[1, 1, 1, 1, 0, -128, 127], [12345, 14, 23456, 15, 3, -128, 127], [-77, 6, 5, 2, 0, 0, 255], [3, 1, -3, 1, -2, -128, 127]] as const) {
        const x0 = codes(n, -128, 127), x1 = codes(n, -128, 255);
        x0[0] = -0;
        const t = (m: number, r: number) => ({ m, half: 2 ** (r - 1), scale: 2 ** -r });
        const out = new Float32Array(n).fill(NaN);
        const seen = addPairWasm(x0, x1, t(m0, r0), t(m1, r1), zp, lo, hi, out);
        const maxAbs = (d: Float32Array): number => d.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        expect(seen).toEqual([maxAbs(x0), maxAbs(x1)]);
        const want = Array.from(x0, (_, k) => {
          const v = Math.floor((x0[k]! * m0 + 2 ** (r0 - 1)) * 2 ** -r0) + Math.floor((x1[k]! * m1 + 2 ** (r1 - 1)) * 2 ** -r1) + zp;
          return v < lo ? lo : v > hi ? hi : v;
        });
        expect(firstDiff(out, want), `${n} ${m0} ${r0}`).toBe('');
      }
    }
    const x0 = codes(100, -128, 127), x1 = codes(100, -128, 127);
    x1[77] = NaN;
    const t = { m: 1, half: 1, scale: 0.5 };
    // a −0 zero point: declined (a −0 sum would pass the js clamp against lo = 0 as −0)
    expect(addPairWasm(x0, x1, { m: 1, half: 1, scale: 0.5 }, { m: 1, half: 1, scale: 0.5 }, -0, 0, 255, new Float32Array(100))).toBeUndefined();
    expect(mulPairWasm(x0, x1, 1, 1, -0, 0, 255, new Float32Array(100))).toBeUndefined();
    x0[3] = -128;
    const seen = addPairWasm(x0, x1, t, t, 0, -128, 127, new Float32Array(100))!;
    expect(seen[0]).toBe(128);
    expect(seen[1]).toBeNaN();
  });

  it('INT8 Mul: x0·x1·m shifted (every shift sign), clamped; reports max |x|', () => {
    for (const n of SIZES) {
      for (const [m, r, zp, lo, hi] of [[1, 1, 0, -128, 127], [23456, 20, 3, -128, 127], [-77, 7, 0, 0, 255], [5, 0, 0, -128, 127], [3, -2, -4, -128, 127]] as const) {
        const x0 = codes(n, -128, 127), x1 = codes(n, 0, 255);
        x0[1] = -0;
        const out = new Float32Array(n).fill(NaN);
        const seen = mulPairWasm(x0, x1, m, r, zp, lo, hi, out)!;
        const maxAbs = (d: Float32Array): number => d.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
        expect(seen).toEqual([maxAbs(x0), maxAbs(x1)]);
        const want = Array.from(x0, (_, k) => {
          const v = r > 0 ? Math.floor((x0[k]! * x1[k]! * m + 2 ** (r - 1)) * 2 ** -r) + zp : x0[k]! * x1[k]! * m * 2 ** -r + zp;
          return v < lo ? lo : v > hi ? hi : v;
        });
        expect(firstDiff(out, want), `${n} ${m} ${r}`).toBe('');
      }
    }
  });
});

/** Math.max over each window clipped to the input, as pool2dFast's direct loop. */
function jsMaxPool(x: Float32Array, planes: number, ih: number, iw: number, oh: number, ow: number, kh: number, kw: number, sh: number, sw: number, pt: number, pl: number): Float32Array {
  const out = new Float32Array(planes * oh * ow);
  for (let p = 0; p < planes; p++) {
    for (let y = 0; y < oh; y++) {
      for (let xo = 0; xo < ow; xo++) {
        let m = -Infinity;
        for (let ky = 0; ky < kh; ky++) {
          const iy = y * sh - pt + ky;
          if (iy < 0 || iy >= ih) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = xo * sw - pl + kx;
            if (ix >= 0 && ix < iw) m = Math.max(m, x[(p * ih + iy) * iw + ix]!);
          }
        }
        out[(p * oh + y) * ow + xo] = m;
      }
    }
  }
  return out;
}

describe('wasm max pooling matches Math.max over clipped windows', () => {
  const geoms: [number, number, number, number, number, number, number, number][] = [
    // ih, iw, kh, kw, sh, sw, pt, pl
    [176, 176, 3, 3, 2, 2, 1, 1], [13, 13, 5, 5, 1, 1, 2, 2], [13, 13, 13, 13, 1, 1, 6, 6], [9, 11, 2, 2, 2, 2, 0, 0],
    [7, 10, 3, 3, 3, 3, 1, 1], [8, 5, 1, 1, 1, 1, 0, 0], [6, 17, 3, 2, 2, 3, 0, 1], [5, 5, 3, 3, 1, 1, 3, 3], [10, 9, 4, 4, 2, 2, 1, 2],
  ];
  it('codes and odd floats (NaN, ±0, ±Inf), strides 1–3, pads past the input, empty windows', () => {
    for (const [ih, iw, kh, kw, sh, sw, pt, pl] of geoms) {
      // output sizes with the windows reaching into a bottom / right pad too
      const oh = Math.floor((ih + 2 * pt - kh) / sh) + 1;
      const ow = Math.floor((iw + 2 * pl - kw) / sw) + 1;
      for (const kind of ['codes', 'floats']) {
        const planes = int(6, 9); // at least 64 results: smaller pools stay on js
        const x = new Float32Array(planes * ih * iw);
        for (let i = 0; i < x.length; i++) {
          x[i] = kind === 'codes' ? int(-128, 127) : rnd() < 0.05 ? [NaN, -0, 0, Infinity, -Infinity][int(0, 4)]! : (rnd() - 0.5) * 10;
        }
        const out = new Float32Array(planes * oh * ow).fill(12345);
        const what = `${kind} ${[ih, iw, kh, kw, sh, sw, pt, pl].join(',')}`;
        expect(maxPoolWasm(x, planes, ih, iw, oh, ow, kh, kw, sh, sw, pt, pl, out), what).toBe(true);
        expect(firstDiff(out, jsMaxPool(x, planes, ih, iw, oh, ow, kh, kw, sh, sw, pt, pl)), what).toBe('');
      }
    }
  });

  it('±0 ties: +0 wins whatever the order, as Math.max', () => {
    // planes 0–3 all −0; the others mix −0 and +0
    const x = Float32Array.from({ length: 8 * 16 }, (_, i) => (i < 64 || i % 3 === 0 ? -0 : 0));
    const out = new Float32Array(8 * 9);
    expect(maxPoolWasm(x, 8, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0, out)).toBe(true);
    expect(firstDiff(out, jsMaxPool(x, 8, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0))).toBe('');
    expect(out.some((v) => Object.is(v, -0))).toBe(true);
  });
});

describe('wasm f16 / bf16 rounding matches the runtime js rounding bit for bit', () => {
  /** f32 bit patterns: a sweep over all 2^32 (stride 4099) and every pattern near the f16 boundaries. */
  function patterns(): Uint32Array {
    const out: number[] = [];
    for (let b = 0; b < 2 ** 32; b += 4099) out.push(b);
    const near = [0, 0x00000001, 0x007fffff, 0x00800000, 0x33000000, 0x33800000, 0x38800000, 0x387fc000, 0x477fe000, 0x477ff000, 0x47800000, 0x7f7fffff, 0x7f800000, 0x7f800001, 0x7fc00000, 0x7fffffff, 0x3f800000];
    for (const c of near) for (let d = -2100; d <= 2100; d++) for (const s of [0, 0x80000000]) out.push(((c + d) >>> 0 | s) >>> 0);
    // ties at bit 13 (f16) and bit 16 (bf16) across exponents
    for (let e = 0; e < 256; e++) for (const m of [0x1000, 0x3000, 0x8000, 0x18000, 0x7fff, 0x17fff]) out.push(((e << 23) | m) >>> 0, (((e << 23) | m) | 0x80000000) >>> 0);
    return Uint32Array.from(out);
  }
  for (const name of ['f16', 'bf16'] as const) {
    it(`${name}: NaN payloads, ±Inf, overflow, subnormal steps, ties`, () => {
      const bits = patterns();
      const got = new Float32Array(bits.buffer.slice(0));
      const want = new Float32Array(bits.buffer.slice(0));
      expect(roundFloatWasm(name, got)).toBe(true);
      (name === 'f16' ? roundF16InPlace : roundBF16InPlace)(want);
      const g = new Uint32Array(got.buffer), w = new Uint32Array(want.buffer);
      let bad = -1;
      for (let i = 0; i < w.length && bad < 0; i++) if (g[i] !== w[i]) bad = i;
      expect(bad < 0 ? '' : `${bits[bad]!.toString(16)}: wasm ${g[bad]!.toString(16)} js ${w[bad]!.toString(16)}`).toBe('');
    });
  }
});
