import type { DType } from '../core/dtype.js';
import { FormatError } from '../core/errors.js';

/**
 * numpy dtype descriptors ("descr" in an npy header) and our DTypes. numpy itself always writes
 * `dtype.str` ('<f4', '|u1', '|b1'); other writers and hand-made files use the other spellings
 * numpy accepts ('float32', 'f4', '=f4', '?'), so the reader takes those too.
 */

/** Kind letter + item size, the canonical part of a descr after its byte-order character. */
const BY_CODE: Readonly<Record<string, DType>> = {
  f8: 'f64', f4: 'f32', f2: 'f16',
  i1: 'i8', u1: 'u8', i2: 'i16', u2: 'u16', i4: 'i32', u4: 'u32', i8: 'i64', u8: 'u64',
  b1: 'bool',
};

/** Other names numpy takes for the same types. 'l'/'L' (C long) are left out: their size depends on the writer's OS. */
const ALIASES: Readonly<Record<string, string>> = {
  float64: 'f8', double: 'f8', d: 'f8', float32: 'f4', single: 'f4', f: 'f4', float16: 'f2', half: 'f2', e: 'f2',
  int8: 'i1', byte: 'i1', b: 'i1', uint8: 'u1', ubyte: 'u1', B: 'u1',
  int16: 'i2', short: 'i2', h: 'i2', uint16: 'u2', ushort: 'u2', H: 'u2',
  int32: 'i4', intc: 'i4', i: 'i4', uint32: 'u4', uintc: 'u4', I: 'u4',
  int64: 'i8', longlong: 'i8', q: 'i8', uint64: 'u8', ulonglong: 'u8', Q: 'u8',
  bool: 'b1', bool_: 'b1', '?': 'b1',
};

/** What we write for each DType. bf16 has no numpy dtype: TPU-MLIR stores its raw bits as uint16. */
const DESCR_OF: Readonly<Record<DType, string>> = {
  f64: '<f8', f32: '<f4', f16: '<f2', bf16: '<u2',
  i8: '|i1', u8: '|u1', i16: '<i2', u16: '<u2', i32: '<i4', u32: '<u4', i64: '<i8', u64: '<u8',
  bool: '|b1',
};

export function descrOf(d: DType): string {
  return DESCR_OF[d];
}

export interface ParsedDescr {
  readonly dtype: DType;
  /** True for '>' descrs: the data must be byte-swapped to little-endian. */
  readonly bigEndian: boolean;
}

const SUPPORTED = 'supported dtypes: float64/32/16, int8/16/32/64, uint8/16/32/64, bool (bfloat16 as its uint16 bits)';

/** Maps a descr string to a DType, or throws a FormatError saying why the type is not supported. */
export function parseDescr(descr: string): ParsedDescr {
  const order = /^[<>=|]/.test(descr) ? descr[0] : '';
  const body = order ? descr.slice(1) : descr;
  const code = BY_CODE[body] !== undefined ? body : ALIASES[body];
  const dtype = code === undefined ? undefined : BY_CODE[code];
  if (dtype !== undefined) return { dtype, bigEndian: order === '>' };
  throw new FormatError(`npy dtype ${JSON.stringify(descr)} is not supported (${describeUnsupported(body)})`, hintFor(body));
}

function describeUnsupported(body: string): string {
  const kind = body[0];
  if (kind === 'O' || body === 'object') return 'object arrays hold pickled Python objects';
  if (kind === 'U' || kind === 'S' || kind === 'a' || body === 'str' || body === 'bytes') return 'a string dtype';
  if (kind === 'c' || body.startsWith('complex')) return 'a complex dtype';
  if (kind === 'V' || body.startsWith('void')) return 'a raw void dtype, e.g. ml_dtypes.bfloat16';
  if (kind === 'M' || kind === 'm' || body.startsWith('datetime') || body.startsWith('timedelta')) return 'a date/time dtype';
  if (body === 'f16' || body === 'f12' || body === 'g' || body === 'longdouble') return 'extended precision float';
  return 'unknown dtype';
}

function hintFor(body: string): string {
  const kind = body[0];
  if (kind === 'V') return `store bfloat16 data as its uint16 bits (a.view(np.uint16)), as TPU-MLIR does; ${SUPPORTED}`;
  if (kind === 'c') return `store the real and imaginary parts as two float arrays; ${SUPPORTED}`;
  return `convert the array to a numeric dtype in numpy before saving, e.g. np.asarray(a, dtype=np.float32); ${SUPPORTED}`;
}

/** The message for a descr that is not a string at all: a list (structured dtype) or a tuple (sub-array). */
export function structuredDescrError(shown: string): FormatError {
  return new FormatError(
    `npy dtype ${shown} is a structured (record) dtype, which is not supported`,
    `save each field as its own array; ${SUPPORTED}`,
  );
}
