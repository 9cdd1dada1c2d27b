// The bytes our zip writer produces, checked field by field (what numpy's zipfile relies on).
import { describe, expect, it } from 'vitest';
import type { NdArray } from '../../src/core/dtype.js';
import { UserError } from '../../src/core/errors.js';
import { crc32 } from '../../src/formats/crc32.js';
import { concatBytes } from '../../src/formats/byte-order.js';
import { encodeNpy, encodeNpz, readNpz } from '../../src/formats/index.js';
import { npyChunks } from '../../src/formats/npy.js';
import { zipChunks } from '../../src/formats/zip-writer.js';
import { zipLayout } from './helpers.js';

const a: NdArray = { dtype: 'i16', shape: [2, 2], data: Int16Array.of(1, -2, 3, -4) };
const b: NdArray = { dtype: 'f64', shape: [], data: Float64Array.of(0.5) };

function view(z: Uint8Array): DataView {
  return new DataView(z.buffer, z.byteOffset, z.byteLength);
}

describe('zip writer output', () => {
  it('stored: local headers, data, central directory, end record', () => {
    const z = encodeNpz(new Map([['a', a], ['ü', b]]));
    const v = view(z);
    const npyA = encodeNpy(a);
    // first local header
    expect(v.getUint32(0, true)).toBe(0x04034b50);
    expect(v.getUint16(4, true)).toBe(20);
    expect(v.getUint16(6, true)).toBe(0); // ASCII name: no UTF-8 flag
    expect(v.getUint16(8, true)).toBe(0); // stored
    expect(v.getUint32(14, true)).toBe(crc32(npyA));
    expect(v.getUint32(18, true)).toBe(npyA.length);
    expect(v.getUint32(22, true)).toBe(npyA.length);
    expect(new TextDecoder().decode(z.subarray(30, 30 + v.getUint16(26, true)))).toBe('a.npy');
    expect(z.subarray(30 + 5, 30 + 5 + npyA.length)).toEqual(npyA);

    const { end, central, cdOffset } = zipLayout(z);
    expect(central).toHaveLength(2);
    expect(v.getUint32(end, true)).toBe(0x06054b50);
    expect(v.getUint16(end + 10, true)).toBe(2);
    expect(v.getUint32(end + 12, true)).toBe(end - cdOffset);
    const second = central[1];
    expect(v.getUint32(second, true)).toBe(0x02014b50);
    expect(v.getUint16(second + 8, true)).toBe(0x800); // UTF-8 name flag
    expect(v.getUint32(second + 42, true)).toBe(30 + 5 + npyA.length); // its local header offset
    expect(new TextDecoder().decode(z.subarray(second + 46, second + 46 + v.getUint16(second + 28, true)))).toBe('ü.npy');
  });

  it('deflated entries carry method 8 and the CRC of the uncompressed bytes', () => {
    const z = encodeNpz({ a }, { compress: true });
    const v = view(z);
    expect(v.getUint16(8, true)).toBe(8);
    expect(v.getUint32(14, true)).toBe(crc32(encodeNpy(a)));
    expect(v.getUint32(22, true)).toBe(encodeNpy(a).length);
  });

  it('forced zip64: extra fields, zip64 end record and locator', () => {
    const z = encodeNpz({ a, b }, { forceZip64: true });
    const v = view(z);
    expect(v.getUint32(18, true)).toBe(0xffffffff);
    expect(v.getUint16(28, true)).toBe(20); // local extra: id, len, usize, csize
    expect(v.getUint16(30 + 5, true)).toBe(1);
    expect(Number(v.getBigUint64(30 + 5 + 4, true))).toBe(encodeNpy(a).length);
    const { end, central, cdOffset } = zipLayout(z);
    const loc = end - 20;
    expect(v.getUint32(loc, true)).toBe(0x07064b50);
    const rec = Number(v.getBigUint64(loc + 8, true));
    expect(v.getUint32(rec, true)).toBe(0x06064b50);
    expect(Number(v.getBigUint64(rec + 32, true))).toBe(2);
    expect(Number(v.getBigUint64(rec + 48, true))).toBe(cdOffset);
    const c1 = central[1];
    expect(v.getUint32(c1 + 42, true)).toBe(0xffffffff);
    expect(v.getUint16(c1 + 30, true)).toBe(28); // usize, csize, offset
  });

  // Python's zipfile, numpy and Info-ZIP unzip accepted such an archive (checked once by hand);
  // real >4 GiB archives both ways with numpy: test/fixtures/npz/huge-zip64-check.ts (manual).
  it('zip64 per field: only what crosses the limit (a lowered limit stands in for 4 GiB)', () => {
    const big: NdArray = { dtype: 'u8', shape: [200], data: new Uint8Array(200).fill(7) };
    const entries = [
      { name: 'small.npy', chunks: () => npyChunks(a), compress: false }, // 136 bytes at offset 0: no zip64
      { name: 'late.npy', chunks: () => npyChunks(b), compress: false }, // small, but at an offset past the limit
      { name: 'big.npy', chunks: () => npyChunks(big), compress: false }, // sizes past the limit
    ];
    const z = concatBytes([...zipChunks(entries, { zip64Limit: 150 })]);
    const v = view(z);
    const { central, end } = zipLayout(z);
    expect(v.getUint16(central[0] + 30, true)).toBe(0);
    expect(v.getUint32(central[1] + 42, true)).toBe(0xffffffff);
    expect(v.getUint16(central[1] + 30, true)).toBe(12); // offset only
    expect(v.getUint32(central[2] + 20, true)).toBe(0xffffffff);
    expect(v.getUint16(central[2] + 30, true)).toBe(28); // usize, csize, offset
    expect(v.getUint32(end - 20, true)).toBe(0x07064b50); // the directory's offset is past the limit too
    expect(v.getUint32(end + 16, true)).toBe(0xffffffff);
    const back = readNpz(z);
    expect([...back.keys()]).toEqual(['small', 'late', 'big']);
    expect(back.get('big')).toEqual(big);
  });

  it('is deterministic', () => {
    expect(encodeNpz({ a, b }, { compress: true })).toEqual(encodeNpz({ a, b }, { compress: true }));
  });

  it('refuses names with a ".." segment', () => {
    expect(() => encodeNpz({ '../x': a })).toThrow(UserError);
    expect(() => encodeNpz({ 'a/../../x': a })).toThrow(/path traversal/);
  });
});
