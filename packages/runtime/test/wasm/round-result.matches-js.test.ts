// The `round_result` attribute of the wasm kernels (src/kernels/wasm/backend.ts; the chip
// packages' float adapters set it): a result rounded to f16 / bf16 in wasm memory
// (assembly/round.ts, four lanes at a time) equals the js result rounded by roundF16InPlace /
// roundBF16InPlace bit for bit: every upper 16-bit pattern of an f32 with the lower halves that
// decide ties and carries (quiet NaN, ±Inf, overflow to Inf, subnormal f16, −0), and random patterns; a
// kernel that ends without takeOut (a 7-D permute, js inside) is rounded after it; no attribute,
// no rounding.
import { describe, expect, it } from 'vitest';
import type { NdArray, Op } from '@tpu-quant/ir';
import { ndarray, stringAttr, top } from '@tpu-quant/ir';
import { roundBF16InPlace, roundF16InPlace } from '../../src/overrides.js';
import { finish, moduleWithInputs } from '../helpers/build.js';
import { producer, runOn, WASM } from './helpers.js';

/** f32 bit patterns: each upper half with lower halves at the rounding boundaries, then random ones. */
function patterns(): Float32Array {
  const lows = [0, 1, 0x0fff, 0x1000, 0x1001, 0x17ff, 0x1800, 0x1fff, 0x2000, 0x7fff, 0x8000, 0x8001, 0xffff];
  const u = new Uint32Array(65536 * lows.length + 13 * 3847);
  let k = 0;
  for (let hi = 0; hi < 65536; hi++) for (const lo of lows) u[k++] = ((hi << 16) | lo) >>> 0;
  let s = 2026;
  for (; k < u.length; k++) u[k] = s = (Math.imul(s, 1103515245) + 12345) >>> 0;
  // NaNs made quiet: the js reference moves values through JS numbers, and whether that quiets a
  // signaling NaN depends on which V8 tier runs the copy, so its bits would not be a fixed answer
  for (let i = 0; i < u.length; i++) if ((u[i]! & 0x7fffffff) > 0x7f800000) u[i] = (u[i]! | 0x400000) >>> 0;
  return new Float32Array(u.buffer);
}

/** A transpose of x ([rows, cols] → [cols, rows]) carrying `round_result` when given. */
function transpose(rows: number, cols: number, round?: string): Op {
  const b = moduleWithInputs([[rows, cols]]);
  const op = producer(top.permute(b.b, { input: b.inputs[0]! }, { order: [1, 0] }, { loc: 'y' }).result());
  if (round) op.attrs.set('round_result', stringAttr(round));
  finish(b, [op.result(0)]);
  return op;
}

function bits(x: NdArray): Uint32Array {
  const d = x.data as Float32Array;
  return new Uint32Array(d.buffer, d.byteOffset, d.length);
}

function firstDiff(a: Uint32Array, b: Uint32Array): string {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return `[${i}] wasm ${a[i]!.toString(16)} js ${b[i]!.toString(16)}`;
  return '';
}

describe('wasm kernels round results marked round_result', () => {
  const data = patterns();
  const cols = 13;
  const rows = data.length / cols;
  const x = ndarray('f32', [rows, cols], data);

  for (const [type, round] of [['f16', roundF16InPlace], ['bf16', roundBF16InPlace]] as const) {
    it(`${type}: bit for bit the js result rounded by round${type === 'f16' ? 'F16' : 'BF16'}InPlace`, () => {
      const want = runOn('js', transpose(rows, cols), [x]);
      round(want.data as Float32Array);
      const got = runOn(WASM, transpose(rows, cols, type), [x]);
      expect(firstDiff(bits(got), bits(want))).toBe('');
    });
  }

  it('a kernel that ends without takeOut (7-D permute, js inside) is rounded after it', () => {
    const shape = [2, 3, 2, 3, 2, 3, 2];
    const n = shape.reduce((p, d) => p * d, 1);
    const b = moduleWithInputs([shape]);
    const order = [6, 5, 4, 3, 2, 1, 0];
    const op = producer(top.permute(b.b, { input: b.inputs[0]! }, { order }, { loc: 'y' }).result());
    finish(b, [op.result(0)]);
    const xs = ndarray('f32', shape, data.slice(0, n).map((v, i) => (Number.isFinite(v) ? v : i)));
    const want = runOn('js', op, [xs]);
    roundF16InPlace(want.data as Float32Array);
    op.attrs.set('round_result', stringAttr('f16'));
    expect(firstDiff(bits(runOn(WASM, op, [xs])), bits(want))).toBe('');
  });

  it('without the attribute the result is not rounded', () => {
    const want = runOn('js', transpose(rows, cols), [x]);
    expect(firstDiff(bits(runOn(WASM, transpose(rows, cols), [x])), bits(want))).toBe('');
  });
});
