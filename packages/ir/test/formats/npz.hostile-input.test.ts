// Corrupt and hostile npy/npz input fails with one clear FormatError, in bounded memory and time.
import fc from 'fast-check';
import { deflateSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { NdArray } from '../../src/core/dtype.js';
import { FormatError } from '../../src/core/errors.js';
import { crc32 } from '../../src/formats/crc32.js';
import { encodeNpy, encodeNpz, listNpzBytes, parseNpy, readNpz } from '../../src/formats/index.js';
import { buildZip, deflated, expectFormatError, fixture, rawNpy, zipLayout } from './helpers.js';

const arr: NdArray = { dtype: 'f32', shape: [3, 4], data: Float32Array.from({ length: 12 }, (_, i) => i) };
const npy = encodeNpy(arr);
const stored = encodeNpz(new Map([['a', arr], ['b', { dtype: 'i64', shape: [2], data: BigInt64Array.of(1n, -1n) }]]));
const compressed = encodeNpz(new Map([['a', arr], ['b', arr]]), { compress: true });
const numpyCompressed = fixture('numpy-savez-compressed.npz');

function patched(z: Uint8Array, edit: (v: DataView) => void): Uint8Array {
  const c = z.slice();
  edit(new DataView(c.buffer));
  return c;
}

describe('truncated files', () => {
  it('every cut of an npz fails cleanly (stored, deflated, numpy-written)', () => {
    for (const z of [stored, compressed, fixture('numpy-savez-streamed.npz')]) {
      for (let cut = 0; cut < z.length; cut++) expectFormatError(() => readNpz(z.subarray(0, cut)));
    }
  });

  it('cuts of a larger numpy archive, every 7th byte', () => {
    for (let cut = 0; cut < numpyCompressed.length; cut += 7) expectFormatError(() => readNpz(numpyCompressed.subarray(0, cut)));
  });

  it('every cut of an npy fails cleanly', () => {
    for (let cut = 0; cut < npy.length; cut++) expectFormatError(() => parseNpy(npy.subarray(0, cut)));
  });

  it('says what is wrong', () => {
    expectFormatError(() => readNpz(stored.subarray(0, stored.length - 1)), /no end-of-central-directory/);
    expectFormatError(() => parseNpy(npy.subarray(0, npy.length - 4)), /needs 48 data bytes, but 44 follow/);
    expectFormatError(() => parseNpy(npy.subarray(0, 40)), /truncated/);
  });
});

describe('not an npz / npy', () => {
  it.each([
    ['empty', new Uint8Array(0), /empty/],
    ['text', new TextEncoder().encode('hello, this is not a zip file at all'), /not a zip archive/],
    ['an npy file', npy, /\.npy file, not an \.npz/],
  ])('%s', (_, bytes, re) => {
    expectFormatError(() => readNpz(bytes), re);
  });

  it('a zip, not an npy', () => expectFormatError(() => parseNpy(stored), /not an npy file/));

  it('an npz entry that is not .npy', () => {
    expectFormatError(() => readNpz(buildZip([{ name: 'readme.txt', payload: new Uint8Array(3) }])), /"readme\.txt" is not an \.npy array/);
  });
});

describe('checksums and sizes', () => {
  it('a flipped data byte fails the CRC check (stored)', () => {
    const z = patched(stored, (v) => v.setUint8(200, v.getUint8(200) ^ 1));
    expectFormatError(() => readNpz(z), /npz entry "a\.npy": CRC-32 mismatch/);
  });

  it('a wrong stored CRC fails (deflated)', () => {
    const c = zipLayout(compressed).central[1];
    const z = patched(compressed, (v) => v.setUint32(c + 16, v.getUint32(c + 16, true) ^ 0x80, true));
    expectFormatError(() => readNpz(z), /"b\.npy": CRC-32 mismatch/);
  });

  it('corrupt deflate data', () => {
    const entry = new Uint8Array(npy);
    const z = buildZip([{ name: 'a.npy', payload: Uint8Array.of(0xff, 0xff, 0xff, 0xff), method: 8, crc: crc32(entry), usize: entry.length }]);
    expectFormatError(() => readNpz(z), /deflate data is corrupt/);
  });

  it('an absurd declared size (2^40) is refused before any allocation', () => {
    // deflated: more than deflate can produce from the compressed bytes
    const z1 = encodeNpz({ a: arr }, { compress: true, forceZip64: true });
    const c1 = zipLayout(z1).central[0];
    const bomb = patched(z1, (v) => v.setBigUint64(c1 + 46 + 5 + 4, 2n ** 40n, true));
    expectFormatError(() => readNpz(bomb), /declares 1099511627776 bytes uncompressed from \d+ compressed bytes/);
    // stored: the entry would run past the archive
    const z2 = encodeNpz({ a: arr }, { forceZip64: true });
    const c2 = zipLayout(z2).central[0];
    const big = patched(z2, (v) => {
      v.setBigUint64(c2 + 46 + 5 + 4, 2n ** 40n, true);
      v.setBigUint64(c2 + 46 + 5 + 12, 2n ** 40n, true);
    });
    expectFormatError(() => readNpz(big), /runs past the start of the central directory/);
    // 64-bit values beyond 2^53
    const huge = patched(z2, (v) => v.setBigUint64(c2 + 46 + 5 + 4, 2n ** 63n, true));
    expectFormatError(() => readNpz(huge), /absurd/);
  });

  it('a declared size that does not match the npy header (stored and deflated)', () => {
    const short = npy.subarray(0, npy.length - 8); // header says 48 data bytes, 40 present
    expectFormatError(() => readNpz(buildZip([{ name: 'a.npy', payload: short }])), /"a\.npy": npy data does not match its header: shape \(3, 4\) of <f4 needs 48/);
    expectFormatError(() => readNpz(buildZip([{ name: 'a.npy', ...deflated(short) }])), /"a\.npy": npy data does not match its header/);
    const long = Uint8Array.from([...npy, 1, 2, 3, 4]);
    expectFormatError(() => readNpz(buildZip([{ name: 'a.npy', ...deflated(long) }])), /but 52 follow/);
  });

  it('a zip bomb: a small entry inflating far past its declared size stops at the declared size', () => {
    // Header for 4 floats, then 64 MiB of zeros: ~64 KiB deflated, declared as 16 data bytes.
    const header = encodeNpy({ dtype: 'f32', shape: [4], data: new Float32Array(4) }).subarray(0, 128);
    const body = new Uint8Array(128 + 64 * 1024 * 1024);
    body.set(header);
    const payload = deflateSync(body, { level: 9 });
    expect(payload.length).toBeLessThan(200_000);
    const z = buildZip([{ name: 'bomb.npy', payload, method: 8, crc: 0, usize: 128 + 16 }]);
    const t0 = performance.now();
    expectFormatError(() => readNpz(z), /inflates past its declared 144 bytes \(zip bomb\?\)/);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('a deflated entry that inflates to less than declared', () => {
    const d = deflated(npy);
    expectFormatError(() => readNpz(buildZip([{ name: 'a.npy', ...d, usize: npy.length + 4 }])), /npy data does not match|inflates to/);
  });

  it('overlapping entries (one stream referenced many times) are refused', () => {
    const z = buildZip([{ name: 'a.npy', payload: npy }, { name: 'b.npy', payload: npy, aliasOf: 0 }]);
    expectFormatError(() => readNpz(z), /overlap/);
  });
});

describe('npy headers', () => {
  const f32 = (shape: string) => rawNpy(`{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`, new Uint8Array(8));

  it.each([
    ['(1099511627776, 1099511627776, 1099511627776)', /impossible: its element count overflows/],
    ['(2, -1)', /impossible: a dimension is negative/],
    ['(100000000000000000000,)', /impossible: a dimension is too large/],
    ['(1000000,)', /needs 4000000 data bytes, but 8 follow/],
    [`(${Array(65).fill(1).join(', ')})`, /65 dimensions/],
    ['[2]', /shape is not a tuple/],
    ['(2.5,)', /malformed npy header/],
  ])('absurd or malformed shape %s', (shape, re) => {
    expectFormatError(() => parseNpy(f32(shape)), re);
  });

  it('absurd shapes inside an npz entry are refused before allocation', () => {
    const entry = f32('(1099511627776, 1099511627776)');
    expectFormatError(() => readNpz(buildZip([{ name: 'x.npy', payload: entry }])), /"x\.npy": npy shape .* impossible/);
    expectFormatError(() => readNpz(buildZip([{ name: 'x.npy', ...deflated(entry) }])), /impossible/);
  });

  it.each([
    ["{'descr': '<x9', 'fortran_order': False, 'shape': (2,), }", /npy dtype "<x9" is not supported \(unknown dtype\)/],
    ["{'descr': 'V2', 'fortran_order': False, 'shape': (2,), }", /raw void dtype/],
    ["{'descr': '<M8[ns]', 'fortran_order': False, 'shape': (2,), }", /date\/time/],
    ["{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (2,), }", /structured/],
    ["{'descr': ('<f4', (2,)), 'fortran_order': False, 'shape': (2,), }", /structured/],
    ["{'descr': '<f4', 'shape': (2,), }", /header keys are \[descr, shape\]/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}", /header keys/],
    ["{'descr': '<f4', 'fortran_order': 'no', 'shape': (2,), }", /fortran_order is not True or False/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'descr': '<f4'}", /appears twice/],
    ["['descr', '<f4']", /not a dict/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", /unexpected end of header/],
    ["{'descr': '<f4, 'fortran_order': False, 'shape': (2,), }", /malformed/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } junk", /unexpected text after/],
    [`{'descr': ${'['.repeat(5000)}`, /nesting deeper than 32/],
    ['', /unexpected end of header/],
  ])('header %#', (dict, re) => {
    expectFormatError(() => parseNpy(rawNpy(dict, new Uint8Array(8))), re);
  });

  it('unsupported versions and absurd header lengths', () => {
    const v9 = npy.slice();
    v9[6] = 9;
    expectFormatError(() => parseNpy(v9), /version 9\.0 is not supported/);
    const long = rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(8), 2);
    new DataView(long.buffer).setUint32(8, 0x7fffffff, true);
    expectFormatError(() => parseNpy(long), /header is 2147483647 bytes long/);
  });

  it.each([
    ['float32', 'f32'], ['=f4', 'f32'], ['f4', 'f32'], ['>f4', 'f32'], ['?', 'bool'], ['b1', 'bool'], ['bool', 'bool'],
    ['<u1', 'u8'], ['|i1', 'i8'], ['int64', 'i64'], ['uint16', 'u16'], ['e', 'f16'], ['d', 'f64'], ['<i4', 'i32'],
  ])('accepts descr %s', (descr, dtype) => {
    const bytes = dtype === 'f64' || dtype === 'i64' ? 16 : dtype === 'f32' || dtype === 'i32' ? 8 : dtype === 'f16' || dtype === 'u16' ? 4 : 2;
    const a = parseNpy(rawNpy(`{"descr": "${descr}", "fortran_order": False, "shape": (2L,)}`, new Uint8Array(bytes)));
    expect(a.dtype).toBe(dtype);
    expect(a.shape).toEqual([2]);
  });
});

describe('entry names', () => {
  it('duplicate names', () => {
    const z = buildZip([{ name: 'a.npy', payload: npy }, { name: 'a.npy', payload: npy }]);
    expectFormatError(() => readNpz(z), /"a\.npy" appears twice/);
  });

  it.each(['../x.npy', 'a/../../x.npy', '..\\x.npy', 'a\0b.npy'])('unsafe name %j', (name) => {
    expectFormatError(() => readNpz(buildZip([{ name, payload: npy }])), /unsafe name/);
  });

  it('a local header naming a different file', () => {
    expectFormatError(() => readNpz(buildZip([{ name: 'a.npy', localName: 'b.npy', payload: npy }])), /local header names a different file/);
  });

  it('encrypted entries and unsupported methods', () => {
    expectFormatError(() => readNpz(buildZip([{ name: 'a.npy', payload: npy, flags: 1 }])), /encrypted/);
    expectFormatError(() => readNpz(buildZip([{ name: 'a.npy', payload: npy, method: 12 }])), /compression method 12/);
  });
});

describe('fuzzing', () => {
  const inputs = [stored, compressed, encodeNpz({ a: arr }, { forceZip64: true }), fixture('numpy-savez-streamed.npz')];

  it('random byte changes: either reads or throws a FormatError', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...inputs),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        (z, edits) => {
          const c = z.slice();
          for (const [at, b] of edits) c[at % c.length] = b;
          for (const read of [() => readNpz(c), () => listNpzBytes(c)]) {
            try {
              read();
            } catch (e) {
              if (!(e instanceof FormatError)) throw e;
            }
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('random npy header text: either parses or throws a FormatError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (dict) => {
        try {
          parseNpy(rawNpy(dict, new Uint8Array(16)));
        } catch (e) {
          if (!(e instanceof FormatError)) throw e;
        }
      }),
      { numRuns: 1000 },
    );
  });
});
