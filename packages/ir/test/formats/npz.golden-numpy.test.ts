// Reading what numpy writes, and numpy-compatibility of what we write (fixtures: gen_fixtures.py).
import { describe, expect, it } from 'vitest';
import type { NdArray } from '../../src/core/dtype.js';
import { encodeNpy, encodeNpz, listNpzBytes, parseNpy, readNpz } from '../../src/formats/index.js';
import { runOnBytes } from '../../src/formats/byte-source.js';
import { entryDataOffset, readZipDirectory } from '../../src/formats/zip-reader.js';
import { OURS_FILES, oursContent } from '../fixtures/npz/ours-content.js';
import { expectedArrays, expectFormatError, fixture, lossless } from './helpers.js';

const expected = expectedArrays();

function checkAgainstExpected(got: Map<string, NdArray>, names: readonly string[]): void {
  expect([...got.keys()]).toEqual(names);
  for (const name of names) {
    const want = expected[name];
    const a = got.get(name)!;
    expect(a.dtype, name).toBe(want.dtype);
    expect(a.shape, name).toEqual(want.shape);
    expect(lossless(a), name).toEqual(want.values);
  }
}

describe('npz written by numpy', () => {
  const all = Object.keys(expected);

  it.each(['numpy-savez.npz', 'numpy-savez-compressed.npz'])('%s: every array, exact values, archive order', (file) => {
    checkAgainstExpected(readNpz(fixture(file)), all);
  });

  it('numpy-savez-streamed.npz: entries with data descriptors', () => {
    checkAgainstExpected(readNpz(fixture('numpy-savez-streamed.npz')), ['f32', 'i64', 'bool', 'fortran_i16']);
  });

  it('converts big-endian and Fortran-order arrays to little-endian C order', () => {
    const m = readNpz(fixture('numpy-savez.npz'));
    expect([...(m.get('fortran_i16')!.data as Int16Array)]).toEqual([0, 1, 2, 3, 4, 5]);
    expect([...(m.get('fortran_f32')!.data as Float32Array)].slice(0, 5)).toEqual([-5, -4, -3, -2, -1]);
    expect([...(m.get('be_f32')!.data as Float32Array)]).toEqual([0, 0.25, 0.5, 0.75, 1, 1.25]);
    expect([...(m.get('be_fortran_f64')!.data as Float64Array)]).toEqual(Array.from({ length: 12 }, (_, i) => i * 1.5));
    expect([...(m.get('be_i64')!.data as BigInt64Array)]).toEqual([-(2n ** 40n), 2n ** 62n + 3n]);
    expect(m.get('scalar_f32')).toEqual({ dtype: 'f32', shape: [], data: Float32Array.of(3.5) });
    expect(m.get('empty_f32')!.shape).toEqual([0, 3]);
    expect(m.has('/backbone/conv1/Conv_output_0') && m.has('σ_non_ascii')).toBe(true);
  });

  it('reads uint16 as bf16 when asked, per name', () => {
    const m = readNpz(fixture('numpy-savez.npz'), { u16As: (name) => (name === 'bf16_as_u16' ? 'bf16' : 'u16') });
    expect(m.get('bf16_as_u16')!.dtype).toBe('bf16');
    expect([...(m.get('bf16_as_u16')!.data as Uint16Array)].slice(0, 2)).toEqual([0x3f80, 0xc020]); // 1.0, -2.5
    expect(m.get('u16')!.dtype).toBe('u16');
    expect(readNpz(fixture('numpy-savez.npz'), { u16As: 'bf16' }).get('u16')!.dtype).toBe('bf16');
  });

  it('reads only the arrays asked for, and names a missing one', () => {
    const m = readNpz(fixture('numpy-savez-compressed.npz'), { names: ['i8', 'f64'] });
    expect([...m.keys()]).toEqual(['f64', 'i8']); // archive order
    expectFormatError(() => readNpz(fixture('numpy-savez.npz'), { names: ['nope'] }), /no array named "nope"/);
  });

  it('lists names, dtypes and shapes from the headers', () => {
    const list = listNpzBytes(fixture('numpy-savez-compressed.npz'));
    expect(list.map((e) => e.name)).toEqual(all);
    const be = list.find((e) => e.name === 'be_fortran_f64')!;
    expect(be).toMatchObject({ dtype: 'f64', descr: '>f8', shape: [3, 4], fortranOrder: true, compressed: true });
  });

  it('our encodeNpy writes the exact bytes numpy.save wrote, for every C-order little-endian entry', () => {
    const z = fixture('numpy-savez.npz');
    const arrays = readNpz(z);
    const dir = runOnBytes(readZipDirectory(z.length), z);
    let compared = 0;
    for (const e of dir.entries) {
      const name = e.name.slice(0, -4);
      if (expected[name].fortran || expected[name].descr.startsWith('>')) continue;
      const at = runOnBytes(entryDataOffset(e), z);
      expect(encodeNpy(arrays.get(name)!), name).toEqual(z.subarray(at, at + e.uncompressedSize));
      compared++;
    }
    expect(compared).toBeGreaterThan(15);
  });
});

describe('npy written by numpy', () => {
  it.each(['v1-f32.npy', 'v2-f32.npy', 'v3-f32.npy'])('%s', (file) => {
    expect(parseNpy(fixture(file))).toEqual({ dtype: 'f32', shape: [2, 3], data: Float32Array.of(-1.25, -0.25, 0.75, 1.75, 2.75, 3.75) });
  });

  it.each([1, 2, 3] as const)('numpy version %i bytes are what encodeNpy writes', (version) => {
    const f = fixture(`v${version}-f32.npy`);
    expect(encodeNpy(parseNpy(f), { version })).toEqual(f);
  });

  it('big-endian Fortran-order file', () => {
    const a = parseNpy(fixture('be-fortran-f64.npy'));
    expect(a.shape).toEqual([3, 4]);
    expect([...(a.data as Float64Array)]).toEqual(Array.from({ length: 12 }, (_, i) => i * 1.5));
  });

  it.each([
    ['unsupported-object.npy', /"\|O".*object arrays/],
    ['unsupported-str.npy', /"<U2".*string/],
    ['unsupported-complex.npy', /"<c8".*complex/],
    ['unsupported-structured.npy', /structured/],
  ])('rejects %s, naming the dtype', (file, re) => {
    expectFormatError(() => parseNpy(fixture(file)), re);
  });
});

describe('npz written by us, read by numpy', () => {
  // gen_fixtures.py loaded these two files with numpy and found exactly oursContent(). While our
  // encoder keeps producing the same bytes, that check still holds for today's encoder.
  it('the stored archive is byte-identical to the one numpy accepted', () => {
    expect(encodeNpz(oursContent())).toEqual(fixture(OURS_FILES.stored));
  });

  it('the deflated zip64 archive is byte-identical to the one numpy accepted', () => {
    expect(encodeNpz(oursContent(), { compress: true, forceZip64: true })).toEqual(fixture(OURS_FILES.compressedZip64));
  });

  it('both read back as written (bf16 comes back as u16 unless asked)', () => {
    for (const file of Object.values(OURS_FILES)) {
      const got = readNpz(fixture(file), { u16As: (n) => (n === 'bf16_bits' ? 'bf16' : 'u16') });
      expect(got).toEqual(oursContent());
    }
  });
});
