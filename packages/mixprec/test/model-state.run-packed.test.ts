// runPacked (an observer packing each activation as it is produced, the session free to reuse its
// buffers) gives what packRun made of a capture: 'all' run, bit for bit: the same names in the same
// order, the same dtypes and bytes — int8 / uint8 codes, f16 bits and copied f32 alike.
import { describe, expect, test } from 'vitest';
import { f32, Func, Module, ndarray, Op, OpBuilder, tensorType, top, type NdArray, type TensorType, type Value } from '@tpu-quant/ir';
import { createSession } from '@tpu-quant/runtime';
import { packRun, runAll, runPacked, typesOf } from '../src/run-qtable/model-state.js';
import { packTensor } from '../src/run-qtable/tensor-store.js';

const N = 4096;

/** x -> a(Relu) -> b(Add x) -> c(Relu) -> d(Add w) -> e(Relu) -> out(Add c): in-place candidates throughout. */
function net(): Module {
  const m = new Module('net');
  const f = m.addFunc(new Func('main', { resultTypes: [] }));
  const b = new OpBuilder(f);
  const x = top.input(b, { input: f.addArgument(tensorType([1, N], f32)) }, {}, { loc: 'x' }).result();
  const relu = (v: Value, name: string): Value => top.relu(b, { input: v }, {}, { loc: name }).result();
  const add = (vs: Value[], name: string): Value => top.add(b, { inputs: vs }, {}, { loc: name }).result();
  const w = ndarray('f32', [1, N], Float32Array.from({ length: N }, (_, i) => Math.sin(i) * 50));
  const c = relu(add([relu(x, 'a'), x], 'b'), 'c');
  const out = add([relu(add([c, b.weight('w', w)], 'd'), 'e'), c], 'out');
  f.append(new Op('func.return', { operands: [out] }));
  f.resultTypes.push(out.type);
  return m;
}

const quant = (signed: boolean): TensorType => ({
  kind: 'tensor', shape: [1, N],
  element: { kind: 'quant.uniform', storage: { kind: 'int', width: 8, signedness: signed ? 'signed' : 'unsigned' }, expressed: { kind: 'float', name: 'f32' }, scales: [0.5], zeroPoints: [0] },
} as TensorType);

/** The module's own (f32) types, with a (int8), c (uint8) and d (f16) stored as a lowered model would. */
function storageTypes(m: Module): Map<string, TensorType> {
  const t = typesOf(m);
  t.set('a', quant(true));
  t.set('c', quant(false));
  t.set('d', tensorType([1, N], { kind: 'float', name: 'f16' } as never));
  return t;
}

function sample(seed: number): Map<string, NdArray> {
  let s = seed;
  const x = Float32Array.from({ length: N }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return ((s / 2 ** 32) * 2 - 1) * 300; // beyond the int8 range too: ToInt8 wraps alike
  });
  return new Map([['x', ndarray('f32', [1, N], x)]]);
}

function expectSame(a: Map<string, NdArray>, b: Map<string, NdArray>): void {
  expect([...a.keys()]).toEqual([...b.keys()]);
  for (const [k, v] of a) {
    const u = b.get(k)!;
    expect(u.dtype, k).toBe(v.dtype);
    expect(u.shape, k).toEqual(v.shape);
    expect(Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength).equals(Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength)), k).toBe(true);
  }
}

describe('packTensor of 8-bit types', () => {
  test('the typed-array conversion equals Int8Array.from / Uint8Array.from (ToInt8 / ToUint8: truncation, wrap-around, NaN 0)', () => {
    const v = new Float32Array([0, -0, 1.9, -1.9, 127, 128, -129, 255.5, 256, -300.7, 1e9, -1e9, NaN, Infinity, -Infinity, 0.49, -128]);
    const a = ndarray('f32', [v.length], v);
    const at = (signed: boolean): TensorType => ({ ...quant(signed), shape: [v.length] });
    expect([...packTensor(a, at(true)).data]).toEqual([...Int8Array.from(v)]);
    expect([...packTensor(a, at(false)).data]).toEqual([...Uint8Array.from(v)]);
  });
});

describe('runPacked', () => {
  test('a whole run equals packRun of capture: all, run after run (buffers reused between them)', async () => {
    const m = net();
    const types = storageTypes(m);
    const session = await createSession(m);
    const packed: Map<string, NdArray>[] = [];
    for (const seed of [1, 2, 3]) packed.push(await runPacked(session, types, { inputs: sample(seed) }));
    for (const [i, seed] of [1, 2, 3].entries()) {
      const r = await session.run(sample(seed), { capture: 'all' });
      const want = packRun(types, new Map([...r.tensors, ...r.outputs]), sample(seed));
      expect(want.size).toBe(7);
      expectSame(want, packed[i]!);
    }
    // the packed a, c, d are codes / f16 bits, e (f32) a copy nobody else holds
    expect(packed[0]!.get('a')!.dtype).toBe('i8');
    expect(packed[0]!.get('c')!.dtype).toBe('u8');
    expect(packed[0]!.get('d')!.dtype).toBe('f16');
    expect(packed[0]!.get('e')!.data).not.toBe(packed[1]!.get('e')!.data);
    await session.dispose();
  });

  test('a cone run over a packed cache equals packRun of runFrom with capture: all', async () => {
    const m = net();
    const types = storageTypes(m);
    const session = await createSession(m);
    const cache = await runPacked(session, types, { inputs: sample(7) });
    for (const roots of [['d'], ['b'], ['e', 'out']]) {
      const got = await runPacked(session, types, { roots, cached: cache });
      const r = await session.runFrom(roots, cache, { capture: 'all' });
      expectSame(packRun(types, new Map([...r.tensors, ...r.outputs])), got);
      expect(got.has('a')).toBe(false);
    }
    await session.dispose();
  });

  test('runAll keeps the inputs and every activation of every sample', async () => {
    const m = net();
    const acts = await runAll(m, [sample(4), sample(5)]);
    expect(acts.map((a) => [...a.keys()])).toEqual([0, 1].map(() => ['x', 'a', 'b', 'c', 'd', 'e', 'out']));
  });
});
