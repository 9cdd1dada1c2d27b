// The INT8 Conv2D wasm kernel's prepared-filter cache (requant records + packed filter kept by
// content across ops, for the fresh lowerings of the mixed-precision searches): a new op with
// byte-equal weights and the same requant numbers reuses an entry; any difference (one filter code,
// the bias, a multiplier) misses; results equal the js reference kernel either way; the byte cap holds.
import { afterAll, describe, expect, it } from 'vitest';
import { Func, i8, Module, ndarray, OpBuilder, tensorType, uniformType, type NdArray, type Op, type TensorType } from '@tpu-quant/ir';
import { getKernel, type KernelContext } from '@tpu-quant/runtime';
import { tpu } from '../src/index.js';
import { conv2dWasm, preparedCacheStats, setPreparedCacheBytes } from '../src/kernels/wasm-conv2d.js';
import { int8Wasm } from '../src/kernels/wasm-int8.js';

let seed = 77;
const int = (lo: number, hi: number): number => lo + Math.floor(((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * (hi - lo + 1));

interface Parts { w: Int8Array; bias: Int32Array; mult: number[]; shift: number[] }
const IC = 6, OC = 5, H = 9, G = 1;

function parts(): Parts {
  return {
    w: Int8Array.from({ length: OC * IC * 9 }, () => int(-127, 127)),
    bias: Int32Array.from({ length: OC }, () => int(-5000, 5000)),
    mult: Array.from({ length: OC }, () => int(1, 2 ** 20)),
    shift: Array.from({ length: OC }, () => int(10, 24)),
  };
}

/** A fresh module and op (as each lowering makes them) from `p`, with the inputs a session gives its kernel. */
function conv(p: Parts, x: NdArray): KernelContext {
  const m = new Module('k');
  const f = m.addFunc(new Func('main'));
  const b = new OpBuilder(f);
  const w = ndarray('i8', [OC, IC / G, 3, 3], p.w.slice());
  const bias = ndarray('i32', [OC], p.bias.slice());
  m.weights = new Map<string, NdArray>([['w', w], ['b', bias]]);
  const op: Op = tpu.conv2D(b, { input: f.addArgument(tensorType([1, IC, H, H], uniformType(i8, 0.02))), filter: b.weight('w', w), bias: b.weight('b', bias) }, {
    kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], group: G, with_bias: true, do_relu: false, relu_limit: -1,
    multiplier: p.mult, rshift: p.shift, quant_mode: 'MultiplierShift',
  }, { loc: 'c', resultType: tensorType([1, OC, H, H], uniformType(i8, 0.05, 0)) });
  const inputs = [x, ndarray('f32', w.shape, Float32Array.from(w.data)), ndarray('f32', [OC], Float32Array.from(bias.data))];
  return { op, inputs, outputTypes: op.results.map((r) => r.type as TensorType), weights: new Map() };
}

function check(ctx: KernelContext): void {
  const got = conv2dWasm(ctx);
  expect(got, 'the wasm kernel took the op').toBeDefined();
  const want = getKernel('tpu.Conv2D', 'js')!.run(ctx)[0]!.data as Float32Array;
  expect(Buffer.from((got!.data as Float32Array).buffer).equals(Buffer.from(want.buffer.slice(want.byteOffset, want.byteOffset + want.byteLength)))).toBe(true);
}

const x = ndarray('f32', [1, IC, H, H], Float32Array.from({ length: IC * H * H }, () => int(-128, 127)));

describe.skipIf(!int8Wasm)('Conv2D wasm: prepared filters kept by content across ops', () => {
  afterAll(() => setPreparedCacheBytes(64 * 2 ** 20));

  it('a fresh op with byte-equal weights reuses the entry; every changed number misses; results = js', () => {
    const p = parts();
    const before = preparedCacheStats().entries;
    check(conv(p, x));
    expect(preparedCacheStats().entries).toBe(before + 1);
    check(conv(p, x)); // new module, op and arrays, same bytes
    check(conv({ ...p }, x));
    expect(preparedCacheStats().entries).toBe(before + 1);
    const w = p.w.slice();
    w[17] = w[17]! === 5 ? 6 : 5;
    check(conv({ ...p, w }, x));
    const bias = p.bias.slice();
    bias[2]! += 1;
    check(conv({ ...p, bias }, x));
    check(conv({ ...p, mult: p.mult.map((v, i) => (i === 4 ? v + 1 : v)) }, x));
    expect(preparedCacheStats().entries).toBe(before + 4);
  });

  it('stays under its byte cap, evicting the least recently used, and still computes right', () => {
    setPreparedCacheBytes(0);
    expect(preparedCacheStats()).toEqual({ entries: 0, bytes: 0 });
    check(conv(parts(), x)); // nothing kept past a cap of 0
    expect(preparedCacheStats().entries).toBe(0);
    const one = parts();
    check(conv(one, x));
    setPreparedCacheBytes(64 * 2 ** 20);
    check(conv(one, x));
    const bytes = preparedCacheStats().bytes;
    setPreparedCacheBytes(2 * bytes + 1); // room for two such entries
    const ps = [parts(), parts(), parts()];
    for (const p of ps) check(conv(p, x));
    expect(preparedCacheStats().entries).toBe(2);
    expect(preparedCacheStats().bytes).toBeLessThanOrEqual(2 * bytes + 1);
    check(conv(ps[1]!, x)); // kept: no new entry, nothing evicted
    expect(preparedCacheStats().entries).toBe(2);
    check(conv(ps[0]!, x)); // evicted: made again
    expect(preparedCacheStats().entries).toBe(2);
  });
});
