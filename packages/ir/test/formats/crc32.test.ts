import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/formats/crc32.js';

describe('crc32', () => {
  it('known values', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(new TextEncoder().encode('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
  });

  it('matches zlib and chains across chunks', () => {
    const zcrc = (zlib as { crc32?: (b: Uint8Array) => number }).crc32;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat(), (b, cut) => {
        const k = b.length ? cut % b.length : 0;
        const whole = crc32(b);
        expect(crc32(b.subarray(k), crc32(b.subarray(0, k)))).toBe(whole);
        if (zcrc) expect(whole).toBe(zcrc(b));
      }),
    );
  });
});
