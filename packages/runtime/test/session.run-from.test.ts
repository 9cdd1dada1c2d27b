// Incremental execution: runFrom re-runs exactly the downstream cone of an op, reading the rest
// from a cached full run, and matches a full run with the same change.
import { describe, expect, it } from 'vitest';
import type { NdArray } from '@tpu-quant/ir';
import { UserError } from '@tpu-quant/ir';
import { createSession, fakeQuantize } from '../src/index.js';
import type { OverrideFn } from '../src/index.js';
import { random } from './helpers/build.js';
import { HAVE_MOBILENET, mobilenetV1, sameData, tinyConv } from './helpers/models.js';

const perturb: OverrideFn = (v) => {
  const d = Float32Array.from(v.data as Float32Array, (x, i) => x + (i % 5 === 0 ? 0.25 : -0.125));
  return { dtype: 'f32', shape: v.shape, data: d };
};

describe('runFrom on tiny_conv', () => {
  it('with a perturbed cached input equals a full run with that perturbation, running only the cone', async () => {
    const s = await createSession(await tinyConv());
    const x = random([1, 3, 32, 32], 11);
    const full = await s.run({ input: x }, { capture: 'all' });
    const cached = new Map(full.tensors);
    cached.set('dw2', perturb(cached.get('dw2')!, undefined as never)); // conv3 is dw2's only reader
    const part = await s.runFrom('conv3', cached, { capture: 'all' });
    expect(s.stats().steps).toBe(5);
    expect([...part.tensors.keys()]).toEqual(['conv3', 'gap', 'flatten', 'fc', 'prob']);
    const ref = await s.run({ input: x }, { overrides: new Map([['dw2', perturb]]) });
    expect(sameData(part.outputs.get('prob'), ref.outputs.get('prob'))).toBe(true);
    expect(sameData(part.outputs.get('prob'), full.outputs.get('prob'))).toBe(false);
  });

  it('applies overrides inside the cone like a full run does', async () => {
    const s = await createSession(await tinyConv());
    const x = random([1, 3, 32, 32], 12);
    const { tensors } = await s.run({ input: x }, { capture: 'all' });
    const fq = new Map<string, OverrideFn>([['pool1', (v) => fakeQuantize(v, 0.05)]]);
    const part = await s.runFrom('pool1', tensors, { overrides: fq });
    expect(s.stats().steps).toBe(7);
    const ref = await s.run({ input: x }, { overrides: fq });
    expect(sameData(part.outputs.get('prob'), ref.outputs.get('prob'))).toBe(true);
  });

  it('names the tensors the cone needs that the cache lacks, and unknown ops', async () => {
    const s = await createSession(await tinyConv());
    const e = await s.runFrom('conv3', new Map()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UserError);
    expect((e as UserError).code).toBe('E_MISSING_TENSOR');
    expect((e as UserError).message).toMatch(/needs 1 tensor the cache lacks: dw2/);
    await expect(s.runFrom('nope', new Map())).rejects.toThrow(/no op named "nope"/);
    // from the input op down is a whole run, fed by the input's name
    const x = random([1, 3, 32, 32], 13);
    const a = await s.runFrom('input', { input: x });
    expect(s.stats().steps).toBe(10);
    expect(sameData(a.outputs.get('prob'), (await s.run({ input: x })).outputs.get('prob'))).toBe(true);
  });
});

describe.skipIf(!HAVE_MOBILENET)('runFrom on MobileNetV1 (../shared/assets)', () => {
  it('re-runs the cone of a late layer and matches a full run with its input perturbed', async () => {
    const s = await createSession(await mobilenetV1());
    const x = random([1, 3, 128, 128], 5);
    const full = await s.run({ input: x }, { capture: 'all' });
    const order = [...full.tensors.keys()];
    // a chain: the cone of the op at k is every op from k on; its input (k - 1) has one reader
    const k = order.length - 8;
    const root = order[k]!;
    const cached = new Map<string, NdArray>(full.tensors);
    cached.set(order[k - 1]!, perturb(full.tensors.get(order[k - 1]!)!, undefined as never));
    const part = await s.runFrom(root, cached, { capture: 'all' });
    expect(s.stats().steps).toBe(order.length - k);
    expect([...part.tensors.keys()]).toEqual(order.slice(k));
    const ref = await s.run({ input: x }, { overrides: new Map([[order[k - 1]!, perturb]]) });
    const out = s.outputNames[0]!;
    expect(sameData(part.outputs.get(out), ref.outputs.get(out))).toBe(true);
    expect(sameData(part.outputs.get(out), full.outputs.get(out))).toBe(false);
  });
});
