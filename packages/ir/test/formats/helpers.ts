import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'fflate';
import { expect } from 'vitest';
import type { NdArray } from '../../src/core/dtype.js';
import { FormatError } from '../../src/core/errors.js';
import { crc32 } from '../../src/formats/crc32.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/npz/', import.meta.url));

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(`${FIXTURES}${name}`));
}

export interface ExpectedArray {
  descr: string;
  dtype: string;
  shape: number[];
  fortran: boolean;
  values: Array<number | string>;
}

/** expected.json, written by gen_fixtures.py from numpy's view of each array. */
export function expectedArrays(): Record<string, ExpectedArray> {
  return JSON.parse(readFileSync(`${FIXTURES}expected.json`, 'utf8')) as Record<string, ExpectedArray>;
}

/** The same lossless encoding gen_fixtures.py uses: float bit patterns, 64-bit ints as strings. */
export function lossless(a: NdArray): Array<number | string> {
  const d = a.data;
  const bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  switch (a.dtype) {
    case 'f64': return [...new BigUint64Array(bytes.slice().buffer)].map(String);
    case 'f32': return [...new Uint32Array(bytes.slice().buffer)];
    case 'i64': case 'u64': return [...(d as BigInt64Array | BigUint64Array)].map(String);
    default: return [...(d as Uint8Array)].map(Number);
  }
}

/** Asserts `fn` throws a FormatError (one line, with a hint) whose message matches `re`. */
export function expectFormatError(fn: () => unknown, re?: RegExp): FormatError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a FormatError').toBeInstanceOf(FormatError);
  const e = caught as FormatError;
  expect(e.message).not.toContain('\n');
  expect(e.hint).toBeTruthy();
  if (re) expect(e.message).toMatch(re);
  return e;
}

/** npy bytes with a hand-written header dict (padded like numpy's), for malformed-header tests. */
export function rawNpy(dict: string, data: Uint8Array = new Uint8Array(0), version = 1): Uint8Array {
  const text = new TextEncoder().encode(dict);
  const prefix = version === 1 ? 10 : 12;
  const len = Math.ceil((prefix + text.length + 1) / 64) * 64 - prefix;
  const out = new Uint8Array(prefix + len + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, len, true);
  else view.setUint32(8, len, true);
  out.fill(0x20, prefix, prefix + len - 1);
  out.set(text, prefix);
  out[prefix + len - 1] = 0x0a;
  out.set(data, prefix + len);
  return out;
}

export interface RawEntry {
  name: string;
  /** The bytes stored in the archive (already deflated when method is 8). */
  payload: Uint8Array;
  method?: number;
  crc?: number;
  usize?: number;
  csize?: number;
  flags?: number;
  /** Name written in the local header, when it should differ. */
  localName?: string;
  /** Write no local header and data; point the central record at this earlier entry's. */
  aliasOf?: number;
}

/** A deflated payload and the fields describing it. */
export function deflated(bytes: Uint8Array): Pick<RawEntry, 'payload' | 'method' | 'crc' | 'usize'> {
  return { payload: deflateSync(bytes), method: 8, crc: crc32(bytes), usize: bytes.length };
}

/**
 * A minimal zip builder that writes whatever it is told (lying sizes, CRCs, aliases), to make
 * hostile archives. Independent of the writer under test.
 */
export function buildZip(entries: RawEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  const offsets: number[] = [];
  let offset = 0;
  const enc = (s: string) => new TextEncoder().encode(s);
  for (const e of entries) {
    const name = enc(e.name);
    const method = e.method ?? 0;
    const crc = e.crc ?? crc32(e.payload);
    const csize = e.csize ?? e.payload.length;
    const usize = e.usize ?? e.payload.length;
    const flags = e.flags ?? 0;
    let at = offset;
    if (e.aliasOf === undefined) {
      const localName = enc(e.localName ?? e.name);
      const lh = new DataView(new ArrayBuffer(30));
      lh.setUint32(0, 0x04034b50, true);
      lh.setUint16(4, 20, true);
      lh.setUint16(6, flags, true);
      lh.setUint16(8, method, true);
      lh.setUint32(14, crc, true);
      lh.setUint32(18, csize, true);
      lh.setUint32(22, usize, true);
      lh.setUint16(26, localName.length, true);
      parts.push(new Uint8Array(lh.buffer), localName, e.payload);
      offset += 30 + localName.length + e.payload.length;
    } else {
      at = offsets[e.aliasOf];
    }
    offsets.push(at);
    const cd = new DataView(new ArrayBuffer(46));
    cd.setUint32(0, 0x02014b50, true);
    cd.setUint16(4, 20, true);
    cd.setUint16(6, 20, true);
    cd.setUint16(8, flags, true);
    cd.setUint16(10, method, true);
    cd.setUint32(16, crc, true);
    cd.setUint32(20, csize, true);
    cd.setUint32(24, usize, true);
    cd.setUint16(28, name.length, true);
    cd.setUint32(42, at, true);
    central.push(new Uint8Array(cd.buffer), name);
  }
  const cdSize = central.reduce((n, c) => n + c.length, 0);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, entries.length, true);
  end.setUint16(10, entries.length, true);
  end.setUint32(12, cdSize, true);
  end.setUint32(16, offset, true);
  const all = [...parts, ...central, new Uint8Array(end.buffer)];
  const out = new Uint8Array(all.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of all) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Offsets of the end record and each central directory record of a zip without a comment. */
export function zipLayout(z: Uint8Array): { end: number; central: number[]; cdOffset: number } {
  const v = new DataView(z.buffer, z.byteOffset, z.byteLength);
  const end = z.length - 22;
  let zip64At = -1;
  if (end >= 20 && v.getUint32(end - 20, true) === 0x07064b50) zip64At = Number(v.getBigUint64(end - 12, true));
  const cdOffset = zip64At >= 0 ? Number(v.getBigUint64(zip64At + 48, true)) : v.getUint32(end + 16, true);
  const count = zip64At >= 0 ? Number(v.getBigUint64(zip64At + 32, true)) : v.getUint16(end + 10, true);
  const central: number[] = [];
  for (let i = 0, at = cdOffset; i < count; i++) {
    central.push(at);
    at += 46 + v.getUint16(at + 28, true) + v.getUint16(at + 30, true) + v.getUint16(at + 32, true);
  }
  return { end, central, cdOffset };
}

/** Element-wise equality of two big typed arrays (vitest's toEqual is far too slow at millions of elements). */
export function sameElements(a: ArrayLike<number | bigint>, b: ArrayLike<number | bigint>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
