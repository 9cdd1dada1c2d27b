// Legitimate zip variations other writers produce.
import { describe, expect, it } from 'vitest';
import type { NdArray } from '../../src/core/dtype.js';
import { encodeNpy, encodeNpz, readNpz } from '../../src/formats/index.js';
import { buildZip } from './helpers.js';

const a: NdArray = { dtype: 'u8', shape: [3], data: Uint8Array.of(1, 2, 3) };

function withComment(z: Uint8Array, comment: Uint8Array): Uint8Array {
  const out = new Uint8Array(z.length + comment.length);
  out.set(z);
  out.set(comment, z.length);
  new DataView(out.buffer).setUint16(z.length - 2, comment.length, true);
  return out;
}

describe('zip reader', () => {
  it('an archive comment, even one containing an end-record signature', () => {
    // (A fake record ending exactly at the end of the file would be ambiguous, for Python's zipfile too.)
    const fake = Uint8Array.from([...new TextEncoder().encode('note '), 0x50, 0x4b, 0x05, 0x06, ...new Uint8Array(18), 0x21]);
    expect(readNpz(withComment(encodeNpz({ a }), fake)).get('a')).toEqual(a);
    expect(readNpz(withComment(encodeNpz({ a }, { forceZip64: true }), new Uint8Array(0xffff))).get('a')).toEqual(a);
  });

  it('names without the UTF-8 flag are code page 437, as Python reads them', () => {
    const z = buildZip([{ name: 'x.npy', payload: encodeNpy(a) }]);
    // Rewrite "x" as byte 0x81 ('ü' in CP437) in both headers.
    const at = [...z.keys()].filter((i) => z[i] === 0x78 && z[i + 1] === 0x2e && z[i + 2] === 0x6e);
    expect(at).toHaveLength(2);
    for (const i of at) z[i] = 0x81;
    expect([...readNpz(z).keys()]).toEqual(['ü']);
  });

  it('entries in any order on disk; keys follow the central directory', () => {
    const z = buildZip([
      { name: 'b.npy', payload: encodeNpy(a) },
      { name: 'a.npy', payload: encodeNpy(a) },
    ]);
    expect([...readNpz(z).keys()]).toEqual(['b', 'a']);
  });
});
