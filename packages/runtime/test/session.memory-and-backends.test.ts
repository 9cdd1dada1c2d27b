// Memory plan and backend selection: pooled output memory (ctx.alloc) reused by liveness and in
// place, never under a live, captured or returned tensor; per-op kernel choice with js fallback.
import { describe, expect, it } from 'vitest';
import type { Op } from '@tpu-quant/ir';
import { f32 as F32, nameLoc, tensorType, UserError } from '@tpu-quant/ir';
import { allocOut, createSession, registerKernel } from '../src/index.js';
import { selectKernel } from '../src/backends.js';
import { input0 } from '../src/registry.js';
import { arr, finish, moduleWithInputs } from './helpers/build.js';
import { tinyConv } from './helpers/models.js';

// x·k, writing through ctx.alloc (so in place when the session allows it)
registerKernel({
  op: 'test.Scale', backend: 'js', inPlace: true,
  run: (ctx) => {
    const x = input0(ctx).data as Float32Array;
    const k = Number((ctx.op.attr('k') as { value: number }).value);
    const y = allocOut(ctx, ctx.outputTypes[0]!.shape);
    const d = y.data;
    for (let i = 0; i < x.length; i++) d[i] = x[i]! * k;
    return [y];
  },
});
// a wasm kernel that only handles k = 2 (the others fall back to js)
registerKernel({ op: 'test.Scale', backend: 'wasm', supports: (op: Op) => (op.attr('k') as { value: number }).value === 2, run: () => [] });

/** x0 → Scale(2) → Scale(3) → Reshape → Scale(5) → output */
function chain(n: number) {
  const b = moduleWithInputs([[1, n]]);
  const t = tensorType([1, n], F32);
  const scale = (x: ReturnType<typeof b.b.create>['results'][number] | (typeof b.inputs)[number], k: number, loc: string) =>
    b.b.create('test.Scale', { operands: [x], resultTypes: [t], attrs: { k: { kind: 'float', value: k, type: F32 } }, loc: nameLoc(loc) }).result();
  const a = scale(b.inputs[0]!, 2, 'a');
  const c = scale(a, 3, 'c');
  const r = b.b.create('top.Reshape', { operands: [c], resultTypes: [tensorType([n, 1], F32)], attrs: { shape: { kind: 'array', value: [] } }, loc: nameLoc('r') }).result();
  const d = b.b.create('test.Scale', { operands: [r], resultTypes: [tensorType([n, 1], F32)], attrs: { k: { kind: 'float', value: 5, type: F32 } }, loc: nameLoc('d') }).result();
  return finish(b, [d]);
}

describe('memory plan', () => {
  it('reuses pooled memory in place and by liveness, and never clobbers captures or outputs', async () => {
    const n = 1000;
    const s = await createSession(chain(n), { backend: 'js' });
    const x = arr([1, n], Array.from({ length: n }, (_, i) => i));
    const r1 = await s.run({ x0: x }, { capture: ['a'] });
    const out1 = r1.outputs.values().next().value!;
    expect(out1.data[7]).toBe(7 * 30);
    expect(r1.tensors.get('a')!.data[7]).toBe(14); // captured: c did not overwrite it
    expect(x.data[7]).toBe(7); // the caller's input is never written
    // one buffer for a (captured), one for c → r → d (in place, then aliased, then in place)
    expect(s.stats().peakActivationBytes).toBe(2 * 4 * n);
    const r2 = await s.run({ x0: x });
    expect(s.stats().peakActivationBytes).toBe(4 * n); // a → c → r → d all share one buffer
    expect(out1.data[7]).toBe(210); // the first run's output survives the second run
    expect(r2.outputs.values().next().value!.data[7]).toBe(210);
    expect(s.stats().plannedPeakBytes).toBe(4 * n);
    expect(s.stats().steps).toBe(5);
  });

  it('reports weights, steps and per-op times of a real model', async () => {
    const m = await tinyConv();
    const s = await createSession(m);
    await s.run({ input: arr([1, 3, 32, 32]) });
    const st = s.stats();
    let w = 0;
    for (const a of m.weights.values()) w += 4 * a.data.length;
    expect(st.weightBytes).toBe(w);
    expect(st.steps).toBe(10);
    expect(st.byOpType.get('top.Conv')!.count).toBe(3);
    expect(st.peakActivationBytes).toBeGreaterThan(0);
    expect(st.peakActivationBytes).toBeLessThanOrEqual(2 * 4 * 8 * 32 * 32);
    expect(st.plannedPeakBytes).toBeGreaterThan(0);
  });
});

describe('backends', () => {
  it('takes a backend kernel only where it supports the op, js elsewhere', async () => {
    const m = chain(4);
    const scales = m.main.ops.filter((o) => o.type === 'test.Scale');
    expect(scales.map((o) => selectKernel(o, 'wasm')!.backend)).toEqual(['wasm', 'js', 'js']);
    expect(selectKernel(scales[0]!, 'js')!.backend).toBe('js');
    const s = await createSession(m, { backend: 'js' });
    const rep = s.kernelReport();
    expect(rep.backend).toBe('js');
    expect(rep.counts).toEqual({ js: 5 });
    expect(rep.ops.map((o) => o.name)).toEqual(['x0', 'a', 'c', 'r', 'd']);
  });

  it('runs on wasm by default, where a wasm kernel supports the op', async () => {
    const rep = (await createSession(chain(4))).kernelReport();
    expect(rep.backend).toBe('wasm');
    expect(rep.counts).toEqual({ wasm: 1, js: 4 });
    expect([...rep.fallbacks]).toEqual([['top.Input', 1], ['test.Scale', 2], ['top.Reshape', 1]]);
  });

  it('refuses ops the ort backend cannot export, and unknown backends, with a hint', async () => {
    const e = await createSession(chain(4), { backend: 'ort' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UserError);
    expect((e as UserError).code).toBe('E_ORT_UNSUPPORTED'); // test.Scale has no ONNX mapping (see ort-session.test.ts)
    const u = await createSession(chain(4), { backend: 'gpu' as never }).catch((x: unknown) => x);
    expect((u as UserError).code).toBe('E_BACKEND');
    await expect(createSession(chain(4), { threads: 0 })).rejects.toThrow(/threads must be a positive integer/);
  });
});
