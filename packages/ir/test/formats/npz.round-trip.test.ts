// Our writer and reader agree, for every dtype and random shapes, stored and deflated, with and without zip64.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DTYPES, type DType, type NdArray } from '../../src/core/dtype.js';
import { allocTyped } from '../../src/core/dtype.js';
import { encodeNpy, encodeNpz, listNpzBytes, parseNpy, readNpz } from '../../src/formats/index.js';

/** Random values covering each dtype's whole bit range (NaN payloads and all). */
function ndarrayArb(dtype: DType): fc.Arbitrary<NdArray> {
  return fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 4 }).chain((shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return fc.uint8Array({ minLength: n * bytesPer(dtype), maxLength: n * bytesPer(dtype) }).map((bytes) => {
      const data = allocTyped(dtype, n);
      new Uint8Array(data.buffer).set(bytes);
      if (dtype === 'bool') for (let i = 0; i < n; i++) (data as Uint8Array)[i] &= 1;
      return { dtype, shape, data } as NdArray;
    });
  });
}

function bytesPer(d: DType): number {
  return allocTyped(d, 1).byteLength;
}

/** Same dtype label on read: bf16 is written as '<u2' and read back as bf16 only when asked. */
const readOpts = { u16As: (name: string) => (name.startsWith('bf16') ? ('bf16' as const) : ('u16' as const)) };

describe('round trip', () => {
  it.each(DTYPES)('npy %s', (dtype) => {
    fc.assert(
      fc.property(ndarrayArb(dtype), (a) => {
        expect(parseNpy(encodeNpy(a), { u16As: dtype === 'bf16' ? 'bf16' : 'u16' })).toEqual(a);
      }),
      { numRuns: 60 },
    );
  });

  it('npz with every dtype, stored / deflated / zip64', () => {
    const entries = fc.tuple(...DTYPES.map((d) => ndarrayArb(d))).map((arrays) => new Map(arrays.map((a, i) => [`${DTYPES[i]}_${i}`, a])));
    fc.assert(
      fc.property(entries, fc.boolean(), fc.boolean(), (m, compress, forceZip64) => {
        const z = encodeNpz(m, { compress, forceZip64 });
        expect(readNpz(z, readOpts)).toEqual(m);
        expect(listNpzBytes(z).map((e) => [e.name, e.shape])).toEqual([...m].map(([k, a]) => [k, a.shape]));
      }),
      { numRuns: 40 },
    );
  });

  it('keeps Map insertion order and Record order, and accepts names numpy uses', () => {
    const a: NdArray = { dtype: 'f32', shape: [1], data: Float32Array.of(1) };
    const names = ['z', '/model/conv/Conv_output_0', 'input:0', 'a b', 'ünï', 'dir/sub/x', '.hidden'];
    const z = encodeNpz(new Map(names.map((n) => [n, a])));
    expect([...readNpz(z).keys()]).toEqual(names);
    expect([...readNpz(encodeNpz({ b: a, a })).keys()]).toEqual(['b', 'a']);
  });

  it('an empty npz', () => {
    expect(readNpz(encodeNpz(new Map())).size).toBe(0);
  });

  it('normalizes bool bytes to 0/1 on write and on read', () => {
    const a: NdArray = { dtype: 'bool', shape: [3], data: Uint8Array.of(0, 2, 255) };
    expect([...(parseNpy(encodeNpy(a)).data as Uint8Array)]).toEqual([0, 1, 1]);
    expect([...a.data]).toEqual([0, 2, 255]); // input untouched
  });

  it('refuses arrays whose data does not fit their shape or dtype (a bug, not a user error)', () => {
    expect(() => encodeNpy({ dtype: 'f32', shape: [2], data: Float32Array.of(1) } as NdArray)).toThrow(RangeError);
    expect(() => encodeNpy({ dtype: 'f32', shape: [1], data: Float64Array.of(1) } as unknown as NdArray)).toThrow(TypeError);
  });
});
