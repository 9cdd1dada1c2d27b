import type { DType } from '../core/dtype.js';
import { dtypeBytes } from '../core/dtype.js';
import { FormatError } from '../core/errors.js';
import { descrOf, parseDescr, structuredDescrError } from './npy-descr.js';
import { parsePyLiteral, PyDict, pyRepr, PyTuple, type PyValue } from './py-literal.js';

/**
 * The npy header: magic `\x93NUMPY`, version, header length, then a Python dict literal
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }` padded with spaces to a multiple
 * of 64 bytes. Versions 1.0 (u16 length), 2.0 (u32 length) and 3.0 (u32 length, UTF-8 text).
 */

export const NPY_MAGIC: Uint8Array = Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59);
/** Enough leading bytes to learn the header size in every version. */
export const NPY_PREFIX_BYTES = 12;
/** numpy refuses headers over 10000 characters by default; ours stay under 2 KB even at 64 dims. */
const MAX_HEADER_TEXT = 65536;
/** numpy 2's NPY_MAXDIMS. */
const MAX_DIMS = 64;
const ARRAY_ALIGN = 64;
/** numpy pads the header so a growing first axis can be rewritten in place (GROWTH_AXIS_MAX_DIGITS). */
const GROWTH_AXIS_MAX_DIGITS = 21;

export interface NpyHeader {
  readonly version: 1 | 2 | 3;
  readonly descr: string;
  readonly dtype: DType;
  readonly bigEndian: boolean;
  readonly fortranOrder: boolean;
  readonly shape: readonly number[];
  /** Number of elements (1 for a 0-d array). */
  readonly count: number;
  /** Bytes from the magic to the end of the header dict: where the data starts. */
  readonly headerBytes: number;
  /** count × item size. */
  readonly dataBytes: number;
}

const HINT_TRUNCATED = 'the file is truncated or damaged; write it again';

export function hasNpyMagic(bytes: Uint8Array): boolean {
  return bytes.length >= NPY_MAGIC.length && NPY_MAGIC.every((b, i) => bytes[i] === b);
}

/**
 * The header size, from the first bytes of an npy stream of `total` bytes (`prefix` holds
 * min(total, NPY_PREFIX_BYTES) of them).
 */
export function npyHeaderSize(prefix: Uint8Array, total: number): number {
  const seen = prefix.subarray(0, Math.min(prefix.length, NPY_MAGIC.length));
  if (!seen.every((b, i) => b === NPY_MAGIC[i])) {
    throw new FormatError('not an npy file: it does not start with the "\\x93NUMPY" magic', 'give a file written by numpy.save (.npy)');
  }
  if (total < 10 || prefix.length < 10) {
    throw new FormatError(`npy data is truncated: ${total} bytes, too short for a header`, HINT_TRUNCATED);
  }
  const major = prefix[6];
  const minor = prefix[7];
  if ((major !== 1 && major !== 2 && major !== 3) || minor !== 0) {
    throw new FormatError(`npy format version ${major}.${minor} is not supported`, 'versions 1.0, 2.0 and 3.0 are supported; save the file again with numpy');
  }
  const lenBytes = major === 1 ? 2 : 4;
  if (total < 8 + lenBytes || prefix.length < 8 + lenBytes) {
    throw new FormatError(`npy data is truncated: ${total} bytes, too short for a version ${major} header`, HINT_TRUNCATED);
  }
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  const textLen = lenBytes === 2 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (textLen > MAX_HEADER_TEXT) {
    throw new FormatError(`npy header is ${textLen} bytes long, more than the ${MAX_HEADER_TEXT} we accept`, 'the file is corrupt, or holds a structured dtype (not supported)');
  }
  const size = 8 + lenBytes + textLen;
  if (size > total) throw new FormatError(`npy data is truncated: the header needs ${size} bytes, only ${total} present`, HINT_TRUNCATED);
  return size;
}

/** Parses the header at the start of `bytes`, which must hold at least npyHeaderSize() bytes. */
export function parseNpyHeader(bytes: Uint8Array, total: number): NpyHeader {
  const headerBytes = npyHeaderSize(bytes, total);
  if (bytes.length < headerBytes) throw new RangeError('parseNpyHeader needs the whole header');
  const version = bytes[6] as 1 | 2 | 3;
  const textStart = version === 1 ? 10 : 12;
  const raw = bytes.subarray(textStart, headerBytes);
  const text = version === 3 ? decodeUtf8(raw) : decodeLatin1(raw);
  const dict = parsePyLiteral(text);
  if (!(dict instanceof PyDict)) throw malformed('the header is not a dict');

  const fields = new Map<string, PyValue>();
  for (const [k, v] of dict.entries) {
    if (typeof k !== 'string') throw malformed('a header key is not a string');
    if (fields.has(k)) throw malformed(`key '${k}' appears twice`);
    fields.set(k, v);
  }
  const keys = [...fields.keys()].sort();
  if (keys.join(',') !== 'descr,fortran_order,shape') {
    throw malformed(`the header keys are [${keys.join(', ')}], expected descr, fortran_order, shape`);
  }

  const descrValue = fields.get('descr');
  if (typeof descrValue !== 'string') {
    if (Array.isArray(descrValue) || descrValue instanceof PyTuple) throw structuredDescrError(pyRepr(descrValue));
    throw malformed(`descr is ${pyRepr(descrValue ?? null)}, not a string`);
  }
  const { dtype, bigEndian } = parseDescr(descrValue);

  const fortran = fields.get('fortran_order');
  if (typeof fortran !== 'boolean') throw malformed('fortran_order is not True or False');

  const shape = parseShape(fields.get('shape') ?? null);
  const count = elementCount(shape);
  const dataBytes = count * dtypeBytes(dtype);
  if (!Number.isSafeInteger(dataBytes)) throw absurdShape(shape, 'its byte size overflows');
  return { version, descr: descrValue, dtype, bigEndian, fortranOrder: fortran, shape, count, headerBytes, dataBytes };
}

function parseShape(v: PyValue): number[] {
  if (!(v instanceof PyTuple)) throw malformed('shape is not a tuple');
  if (v.items.length > MAX_DIMS) throw new FormatError(`npy shape has ${v.items.length} dimensions, more than ${MAX_DIMS}`, 'the file is corrupt');
  return v.items.map((d) => {
    if (typeof d !== 'bigint') throw malformed('shape holds a non-integer');
    if (d < 0n) throw absurdShape(v.items, 'a dimension is negative');
    if (d > BigInt(Number.MAX_SAFE_INTEGER)) throw absurdShape(v.items, 'a dimension is too large');
    return Number(d);
  });
}

function elementCount(shape: readonly number[]): number {
  if (shape.includes(0)) return 0;
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (!Number.isSafeInteger(n)) throw absurdShape(shape, 'its element count overflows');
  }
  return n;
}

function absurdShape(shape: readonly unknown[], why: string): FormatError {
  return new FormatError(`npy shape (${shape.map(String).join(', ')}) is impossible: ${why}`, 'the file is corrupt or hostile');
}

function malformed(what: string): FormatError {
  return new FormatError(`malformed npy header: ${what}`, 'the file is corrupt or was not written by numpy');
}

function decodeLatin1(b: Uint8Array): string {
  // TextDecoder('latin1') is really windows-1252; numpy means ISO-8859-1, i.e. byte = code point.
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}

function decodeUtf8(b: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    throw malformed('a version 3 header is not valid UTF-8');
  }
}

/** Python's repr of a tuple of ints. */
function tupleRepr(shape: readonly number[]): string {
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

/**
 * The header numpy's `write_array` would write for a C-order array (byte for byte: same key
 * order, growth padding, 64-byte alignment). Version 1.0 unless the header needs 2.0 or a later
 * `version` is asked for; 3.0 differs from 2.0 only in allowing UTF-8, which our headers never need.
 */
export function encodeNpyHeader(dtype: DType, shape: readonly number[], version: 1 | 2 | 3 = 1): Uint8Array {
  let text = `{'descr': '${descrOf(dtype)}', 'fortran_order': False, 'shape': ${tupleRepr(shape)}, }`;
  if (shape.length > 0) text += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length));
  const textLen = text.length + 1; // + the final '\n'
  const v1Pad = ARRAY_ALIGN - ((10 + textLen) % ARRAY_ALIGN); // 1..64, as numpy computes it
  const v = version === 1 && textLen + v1Pad > 0xffff ? 2 : version;
  const prefix = v === 1 ? 10 : 12;
  const fieldValue = textLen + (ARRAY_ALIGN - ((prefix + textLen) % ARRAY_ALIGN));
  const out = new Uint8Array(prefix + fieldValue);
  out.set(NPY_MAGIC, 0);
  out[6] = v;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (v === 1) view.setUint16(8, fieldValue, true);
  else view.setUint32(8, fieldValue, true);
  for (let i = 0; i < text.length; i++) out[prefix + i] = text.charCodeAt(i);
  out.fill(0x20, prefix + text.length, out.length - 1);
  out[out.length - 1] = 0x0a;
  return out;
}
