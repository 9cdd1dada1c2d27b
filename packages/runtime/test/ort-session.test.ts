// The ort backend as a session: run / capture / observer / runFrom / runBatch on tiny_conv and
// MobileNetV1 against the default backend, the model cache, and its errors (unsupported ops,
// onnxruntime missing, overrides, bad inputs).
import { describe, expect, it } from 'vitest';
import type { NdArray } from '@tpu-quant/ir';
import { top, UserError } from '@tpu-quant/ir';
import { createSession, exportOnnx } from '../src/index.js';
import type { OrtModule } from '../src/ort/session.js';
import { createOrtSession, loadOrt } from '../src/ort/session.js';
import { finish, maxAbsDiff, moduleWithInputs, random } from './helpers/build.js';
import { HAVE_MOBILENET, mobilenetV1, tinyConv } from './helpers/models.js';

/** Fails the test unless `p` rejects with a UserError of `code`; returns it. */
async function userError(p: Promise<unknown>, code: string): Promise<UserError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(UserError);
  expect((e as UserError).code).toBe(code);
  return e as UserError;
}

function expectClose(got: NdArray | undefined, want: NdArray | undefined, what: string, tol = 1e-4): void {
  expect(got, what).toBeDefined();
  expect(got!.shape, what).toEqual(want!.shape);
  const scale = Math.max(1, ...Array.from(want!.data as Float32Array, Math.abs));
  expect(maxAbsDiff(got!, want!), what).toBeLessThanOrEqual(tol * scale);
}

/** onnxruntime-node, wrapped to count compiled models and released ones. */
async function countingOrt(): Promise<{ ort: OrtModule; created: () => number; released: () => number }> {
  const real = await loadOrt();
  let created = 0;
  let released = 0;
  const ort: OrtModule = {
    Tensor: real.Tensor,
    InferenceSession: {
      create: async (model, options) => {
        created++;
        const s = await real.InferenceSession.create(model, options);
        return { run: (feeds) => s.run(feeds), release: () => (released++, s.release()) };
      },
    },
  };
  return { ort, created: () => created, released: () => released };
}

const perturb = (v: NdArray): NdArray => ({ dtype: 'f32', shape: v.shape, data: Float32Array.from(v.data as Float32Array, (x, i) => x + (i % 3 ? 0.2 : -0.3)) });

describe('ort sessions on tiny_conv', () => {
  it('run, capture all and observe every tensor like the default backend, in op order', async () => {
    const m = await tinyConv();
    const ref = await createSession(m);
    const s = await createSession(m, { backend: 'ort' });
    expect(s.backend).toBe('ort');
    expect(s.inputNames).toEqual(ref.inputNames);
    expect(s.outputNames).toEqual(ref.outputNames);
    const feed = { input: random([1, 3, 32, 32], 3) };
    const want = await ref.run(feed, { capture: 'all' });
    const got = await s.run(feed, { capture: 'all' });
    expect([...got.tensors.keys()]).toEqual([...want.tensors.keys()]);
    for (const [n, v] of want.tensors) expectClose(got.tensors.get(n), v, n);
    expectClose(got.outputs.get('prob'), want.outputs.get('prob'), 'prob');

    const seen: string[] = [];
    const ops: string[] = [];
    const some = await s.run(feed, { capture: ['conv3', 'fc'], observer: (n, v, op) => (seen.push(n), ops.push(op.type), expect(v.shape.length).toBeGreaterThan(0)) });
    expect(seen).toEqual([...want.tensors.keys()]);
    expect(ops[0]).toBe('top.Input');
    expect([...some.tensors.keys()]).toEqual(['conv3', 'fc']);
    expect((await s.run(feed)).tensors.size).toBe(0);
    await s.dispose();
  });

  it('compiles one model per capture set, reuses it, and releases them all on dispose', async () => {
    const { ort, created, released } = await countingOrt();
    const s = await createOrtSession(await tinyConv(), { loadOrt: async () => ort });
    expect(created()).toBe(1); // the plain model, compiled with the session
    const feed = { input: random([1, 3, 32, 32], 4) };
    await s.run(feed);
    await s.run(feed, { capture: ['fc', 'conv3'] });
    await s.run(feed, { capture: ['conv3', 'fc'] });
    await s.run(feed, { capture: 'all' });
    await s.run(feed, { observer: () => {} }); // observers need every tensor: the 'all' model
    expect(created()).toBe(3);
    await s.dispose();
    expect(released()).toBe(3);
  });

  it('runFrom re-runs the cone from cached tensors and matches the default backend', async () => {
    const m = await tinyConv();
    const ref = await createSession(m);
    const s = await createSession(m, { backend: 'ort' });
    const feed = { input: random([1, 3, 32, 32], 5) };
    const cached = new Map((await s.run(feed, { capture: 'all' })).tensors);
    cached.set('dw2', perturb(cached.get('dw2')!));
    const got = await s.runFrom('conv3', cached, { capture: 'all' });
    expect(s.stats().steps).toBe(5);
    expect([...got.tensors.keys()]).toEqual(['conv3', 'gap', 'flatten', 'fc', 'prob']);
    const want = await ref.runFrom('conv3', cached, { capture: 'all' });
    for (const [n, v] of want.tensors) expectClose(got.tensors.get(n), v, n);
    expectClose(got.outputs.get('prob'), want.outputs.get('prob'), 'prob');
    // the same change through a full run agrees
    const full = await ref.run(feed, { overrides: new Map([['dw2', (v: NdArray) => perturb(v)]]) });
    expectClose(got.outputs.get('prob'), full.outputs.get('prob'), 'prob (full run)');
    // from the input down is a whole run
    const whole = await s.runFrom('input', { input: feed.input });
    expectClose(whole.outputs.get('prob'), (await ref.run(feed)).outputs.get('prob'), 'prob from input');
    const e = await userError(s.runFrom('conv3', new Map()), 'E_MISSING_TENSOR');
    expect(e.message).toMatch(/needs 1 tensor the cache lacks: dw2/);
    await expect(s.runFrom('nope', cached)).rejects.toThrow(/no op named "nope"/);
    await s.dispose();
  });

  it('runBatch runs samples in order; stats and kernelReport say ort', async () => {
    const m = await tinyConv();
    const s = await createSession(m, { backend: 'ort', threads: 2 });
    const samples = [1, 2, 3].map((k) => ({ input: random([1, 3, 32, 32], 30 + k) }));
    const batch = await s.runBatch(samples);
    for (const [i, r] of batch.entries()) expectClose(r.outputs.get('prob'), (await s.run(samples[i]!)).outputs.get('prob'), `sample ${i}`, 0);
    const st = s.stats();
    expect(st.steps).toBe(10);
    expect(st.ms).toBeGreaterThan(0);
    expect(st.weightBytes).toBeGreaterThan(0);
    const k = s.kernelReport();
    expect(k.backend).toBe('ort');
    expect(k.counts).toEqual({ ort: 10 });
    expect(k.fallbacks.size).toBe(0);
    expect(k.ops.every((o) => o.backend === 'ort')).toBe(true);
    await s.ready();
    await s.dispose();
  });

  it('refuses overrides, which need the js or wasm backend', async () => {
    const s = await createSession(await tinyConv(), { backend: 'ort' });
    const feed = { input: random([1, 3, 32, 32], 6) };
    const e = await userError(s.run(feed, { overrides: new Map([['conv1', (v: NdArray) => v]]) }), 'E_ORT_OVERRIDE');
    expect(e.hint).toMatch(/wasm/);
    expect(() => s.setOverride('conv1', (v) => v)).toThrow(/overrides/);
    expect(() => s.setOverride('nope', (v) => v)).toThrow(/no tensor named "nope"/);
    s.setOverride('conv1', undefined); // removing one is harmless
    await userError(s.runFrom('conv3', (await s.run(feed, { capture: 'all' })).tensors, { overrides: new Map([['conv3', (v: NdArray) => v]]) }), 'E_ORT_OVERRIDE');
    await s.dispose();
  });

  it('checks inputs as the other backends do', async () => {
    const s = await createSession(await tinyConv(), { backend: 'ort' });
    await userError(s.run({}), 'E_MISSING_INPUT');
    await userError(s.run({ input: random([1, 3, 32, 32]), extra: random([1]) }), 'E_UNKNOWN_INPUT');
    await userError(s.run({ input: random([1, 3, 16, 16]) }), 'E_INPUT_SHAPE');
    await s.dispose();
  });
});

describe('ort backend errors', () => {
  it('lists every op type without an ONNX mapping (E_ORT_UNSUPPORTED)', async () => {
    const b = moduleWithInputs([[1, 4]]);
    const q = top.quantizeLinear(b.b, { input: b.inputs[0]! }, { y_scale: [0.1], y_zero_point: [0] }, { loc: 'q' }).result();
    const d = top.dequantizeLinear(b.b, { input: q }, { x_scale: [0.1], x_zero_point: [0] }, { loc: 'd' }).result();
    const r = top.relu(b.b, { input: d }, {}, { loc: 'r' }).result();
    const m = finish(b, [r]);
    const e = await userError(createSession(m, { backend: 'ort' }), 'E_ORT_UNSUPPORTED');
    expect(e.message).toMatch(/these 2 ops: top\.DequantizeLinear, top\.QuantizeLinear$/);
    expect(e.hint).toMatch(/wasm/);
    expect(() => exportOnnx(m)).toThrow(/top\.DequantizeLinear, top\.QuantizeLinear/);
  });

  it('names the attribute combination ONNX cannot express', async () => {
    const b = moduleWithInputs([[1, 2, 4, 4]]);
    const p = top.pad(b.b, { input: b.inputs[0]! }, { paddings: [0, 0, 1, 1, 0, 0, 1, 1], mode: 'symmetric' }, { loc: 'p' }).result();
    const e = await userError(createSession(finish(b, [p]), { backend: 'ort' }), 'E_ORT_UNSUPPORTED');
    expect(e.message).toMatch(/top\.Pad \(symmetric padding, "p"\)/);
  });

  it('says how to install onnxruntime-node when it cannot be loaded (E_ORT_MISSING)', async () => {
    const m = await tinyConv();
    const missing = async (): Promise<OrtModule> => {
      throw new Error("Cannot find package 'onnxruntime-node' imported from /x.js");
    };
    const e = await userError(createOrtSession(m, { loadOrt: missing }), 'E_ORT_MISSING');
    expect(e.message).toMatch(/onnxruntime-node/);
    expect(e.hint).toMatch(/npm i onnxruntime-node/);
  });
});

describe.skipIf(!HAVE_MOBILENET)('ort sessions on MobileNetV1 (../shared/assets)', () => {
  it('capture all and runFrom match the default backend', async () => {
    const m = await mobilenetV1();
    const ref = await createSession(m);
    const s = await createSession(m, { backend: 'ort' });
    const feed = { [s.inputNames[0]!]: random([1, 3, 128, 128], 8) };
    const want = await ref.run(feed, { capture: 'all' });
    const got = await s.run(feed, { capture: 'all' });
    const order = [...want.tensors.keys()];
    expect([...got.tensors.keys()]).toEqual(order);
    for (const [n, v] of want.tensors) expectClose(got.tensors.get(n), v, n);
    const k = order.length - 10;
    const cached = new Map(got.tensors);
    cached.set(order[k - 1]!, perturb(cached.get(order[k - 1]!)!));
    const part = await s.runFrom(order[k]!, cached, { capture: 'all' });
    expect([...part.tensors.keys()]).toEqual(order.slice(k));
    const partRef = await ref.runFrom(order[k]!, cached);
    const out = s.outputNames[0]!;
    expectClose(part.outputs.get(out), partRef.outputs.get(out), out);
    await s.dispose();
  });
});
