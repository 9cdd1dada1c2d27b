// Override helpers (f16 / bf16 rounding, fake quantization) and the override hooks of a session.
import { describe, expect, it } from 'vitest';
import { UserError } from '@tpu-quant/ir';
import { createSession, fakeQuantize, roundToBF16, roundToF16 } from '../src/index.js';
import { arr, random } from './helpers/build.js';
import { sameData, tinyConv } from './helpers/models.js';

const vals = (a: { data: ArrayLike<number> }) => Array.from(a.data);

describe('roundToF16', () => {
  it('rounds to nearest, ties to even, through subnormals and overflow', () => {
    const u = 2 ** -10;
    const x = [1 + u, 1 + u / 2, 1 + 1.5 * u, 65504, 65519, 65520, -65520, 2 ** -24, 2 ** -25, 3 * 2 ** -25, 0.1, -0, NaN];
    expect(vals(roundToF16(arr([x.length], x)))).toEqual([
      1 + u, 1, 1 + 2 * u, 65504, 65504, Infinity, -Infinity, 2 ** -24, 0, 2 ** -23, 0.0999755859375, -0, NaN,
    ]);
  });
});

describe('roundToBF16', () => {
  it('keeps 8 mantissa bits, ties to even, NaN stays NaN', () => {
    const u = 2 ** -7;
    const x = [1 + u, 1 + u / 2, 1 + 1.5 * u, -3.14159, 3.4e38, NaN];
    const r = vals(roundToBF16(arr([x.length], x)));
    expect(r.slice(0, 4)).toEqual([1 + u, 1, 1 + 2 * u, -3.140625]);
    expect(r[4]).toBe(Infinity);
    expect(r[5]).toBeNaN();
  });
});

describe('fakeQuantize', () => {
  it('rounds half away from zero and clamps', () => {
    const r = fakeQuantize(arr([6], [1.25, -1.25, 0.74, 100, -100, 0]), 0.5);
    expect(vals(r)).toEqual([1.5, -1.5, 0.5, 63.5, -64, 0]);
  });
  it('honours zero point, range and per-channel scales', () => {
    expect(vals(fakeQuantize(arr([3], [-1, 0.26, 30]), 0.1, 10, 0, 255))).toEqual(
      [0, 0.3, 24.5].map((v) => Math.fround(v)).map((v, i) => (i === 0 ? -1 : v)),
    );
    const w = fakeQuantize(arr([2, 2], [0.3, 0.3, 0.3, 0.3]), [0.25, 0.2], 0, -128, 127, 0);
    expect(vals(w)).toEqual([0.25, 0.25, 0.4, 0.4].map(Math.fround));
  });
});

describe('session overrides', () => {
  it('transform weights once with setOverride, and undo', async () => {
    const s = await createSession(await tinyConv());
    const x = { input: random([1, 3, 32, 32], 3) };
    const base = (await s.run(x)).outputs.get('prob')!;
    s.setOverride('fc_w', (v) => fakeQuantize(v, 0.02));
    const q = (await s.run(x)).outputs.get('prob')!;
    expect(sameData(q, base)).toBe(false);
    // the same override per run gives the same result
    s.setOverride('fc_w', undefined);
    const perRun = (await s.run(x, { overrides: new Map([['fc_w', (v) => fakeQuantize(v, 0.02)]]) })).outputs.get('prob')!;
    expect(sameData(perRun, q)).toBe(true);
    expect(sameData((await s.run(x)).outputs.get('prob'), base)).toBe(true);
  });

  it('rejects unknown tensor names and misshapen results', async () => {
    const s = await createSession(await tinyConv());
    expect(() => s.setOverride('nope', (v) => v)).toThrow(UserError);
    const x = { input: random([1, 3, 32, 32], 3) };
    await expect(s.run(x, { overrides: new Map([['nope', (v) => v]]) })).rejects.toThrow(/no tensor named "nope"/);
    await expect(s.run(x, { overrides: new Map([['conv1', () => arr([1])]]) })).rejects.toThrow(/override of "conv1" returned shape \[1\]/);
  });
});
