// TensorProto -> ConstTensor: raw_data or typed fields, every numeric data type, external data
// next to the model file. Sizes are checked against the declared dims before anything is
// allocated, so a hostile file cannot make us allocate more than it holds.
import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { bf16BitsToNumber, f16BitsToNumber, UserError } from '@tpu-quant/ir';
import type { ConstKind, ConstTensor } from './const-tensor.js';
import { OnnxDataType as DataType, type TensorProto } from '@tpu-quant/ir';

/** Largest tensor we accept (elements); far above any weight we expect, far below a crash. */
const MAX_ELEMENTS = 2 ** 31 - 1;

interface DTypeInfo {
  readonly name: string;
  readonly bytes: number;
  readonly kind: ConstKind;
}

const DTYPES: Record<number, DTypeInfo> = {
  [DataType.FLOAT]: { name: 'float32', bytes: 4, kind: 'float' },
  [DataType.UINT8]: { name: 'uint8', bytes: 1, kind: 'int' },
  [DataType.INT8]: { name: 'int8', bytes: 1, kind: 'int' },
  [DataType.UINT16]: { name: 'uint16', bytes: 2, kind: 'int' },
  [DataType.INT16]: { name: 'int16', bytes: 2, kind: 'int' },
  [DataType.INT32]: { name: 'int32', bytes: 4, kind: 'int' },
  [DataType.INT64]: { name: 'int64', bytes: 8, kind: 'int' },
  [DataType.BOOL]: { name: 'bool', bytes: 1, kind: 'bool' },
  [DataType.FLOAT16]: { name: 'float16', bytes: 2, kind: 'float' },
  [DataType.DOUBLE]: { name: 'float64', bytes: 8, kind: 'float' },
  [DataType.UINT32]: { name: 'uint32', bytes: 4, kind: 'int' },
  [DataType.UINT64]: { name: 'uint64', bytes: 8, kind: 'int' },
  [DataType.BFLOAT16]: { name: 'bfloat16', bytes: 2, kind: 'float' },
};

export function dtypeName(t: number | undefined): string {
  return DTYPES[t ?? 0]?.name ?? `data type ${t ?? 0}`;
}

export function dtypeKind(t: number | undefined): ConstKind | undefined {
  return DTYPES[t ?? 0]?.kind;
}

export interface TensorSource {
  /** Folder of the model file, for external data; undefined when imported from bytes. */
  readonly baseDir?: string;
}

function bad(name: string, why: string, hint = 'the model file is corrupt; re-export it'): UserError {
  return new UserError('E_ONNX_TENSOR', `tensor "${name}": ${why}`, hint);
}

/** Checked dims and element count of a tensor. */
export function tensorDims(t: TensorProto, name: string): number[] {
  const dims = (t.dims ?? []).map(Number);
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw bad(name, `invalid dim ${d} in [${dims.join(', ')}]`);
    n *= d;
    if (n > MAX_ELEMENTS) throw bad(name, `shape [${dims.join(', ')}] is absurdly large`);
  }
  return dims;
}

export function tensorToConst(t: TensorProto, src: TensorSource = {}, fallbackName = '?'): ConstTensor {
  const name = t.name || fallbackName;
  const info = DTYPES[t.data_type ?? 0];
  if (!info) {
    throw new UserError('E_UNSUPPORTED_DTYPE', `tensor "${name}" has ${dtypeName(t.data_type)}, which the importer cannot read`, 'numeric tensors only (no strings or complex numbers)');
  }
  const shape = tensorDims(t, name);
  const n = shape.reduce((a, b) => a * b, 1);
  let raw = t.raw_data;
  if (t.data_location === 1) raw = readExternal(t, name, n * info.bytes, src);
  if (raw && raw.length > 0) {
    if (raw.length !== n * info.bytes) throw bad(name, `raw data holds ${raw.length} bytes, shape [${shape.join(', ')}] of ${info.name} needs ${n * info.bytes}`);
    return { kind: info.kind, shape, data: decodeRaw(raw, t.data_type!, n) };
  }
  const typed = typedField(t);
  if (typed.length !== n) throw bad(name, `holds ${typed.length} values, shape [${shape.join(', ')}] needs ${n}`);
  return { kind: info.kind, shape, data: decodeTyped(typed, t.data_type!) };
}

function typedField(t: TensorProto): number[] {
  switch (t.data_type) {
    case DataType.FLOAT: return t.float_data ?? [];
    case DataType.INT64: return t.int64_data ?? [];
    case DataType.DOUBLE: return t.double_data ?? [];
    case DataType.UINT32: case DataType.UINT64: return t.uint64_data ?? [];
    default: return t.int32_data ?? []; // int8..int32, bool, and f16/bf16 bit patterns
  }
}

function decodeTyped(values: number[], dt: number): Float32Array | Float64Array {
  if (dt === DataType.FLOAT) return Float32Array.from(values);
  if (dt === DataType.FLOAT16) return Float32Array.from(values, (b) => f16BitsToNumber(b & 0xffff));
  if (dt === DataType.BFLOAT16) return Float32Array.from(values, (b) => bf16BitsToNumber(b & 0xffff));
  return Float64Array.from(values, Number);
}

function decodeRaw(raw: Uint8Array, dt: number, n: number): Float32Array | Float64Array {
  // Copy into an aligned buffer: raw_data slices of the model buffer can start at any byte.
  const buf = new Uint8Array(raw).buffer;
  const v = new DataView(buf);
  switch (dt) {
    case DataType.FLOAT: return new Float32Array(buf, 0, n);
    case DataType.DOUBLE: return new Float64Array(buf, 0, n);
    case DataType.FLOAT16: return Float32Array.from({ length: n }, (_, i) => f16BitsToNumber(v.getUint16(2 * i, true)));
    case DataType.BFLOAT16: return Float32Array.from({ length: n }, (_, i) => bf16BitsToNumber(v.getUint16(2 * i, true)));
    case DataType.INT8: return Float64Array.from(new Int8Array(buf, 0, n));
    case DataType.UINT8: case DataType.BOOL: return Float64Array.from(new Uint8Array(buf, 0, n));
    case DataType.INT16: return Float64Array.from({ length: n }, (_, i) => v.getInt16(2 * i, true));
    case DataType.UINT16: return Float64Array.from({ length: n }, (_, i) => v.getUint16(2 * i, true));
    case DataType.INT32: return Float64Array.from({ length: n }, (_, i) => v.getInt32(4 * i, true));
    case DataType.UINT32: return Float64Array.from({ length: n }, (_, i) => v.getUint32(4 * i, true));
    case DataType.INT64: return Float64Array.from({ length: n }, (_, i) => Number(v.getBigInt64(8 * i, true)));
    default: return Float64Array.from({ length: n }, (_, i) => Number(v.getBigUint64(8 * i, true)));
  }
}

function readExternal(t: TensorProto, name: string, need: number, src: TensorSource): Uint8Array {
  const kv = new Map((t.external_data ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = kv.get('location');
  if (!location) throw bad(name, 'external data without a location');
  if (!src.baseDir) {
    throw new UserError('E_ONNX_EXTERNAL', `tensor "${name}" keeps its data in external file "${location}"`, 'import the model from its file (importOnnxFile) so the data file can be found next to it');
  }
  const base = resolve(src.baseDir);
  const file = resolve(base, location);
  const rel = relative(base, file);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new UserError('E_ONNX_EXTERNAL', `tensor "${name}": external data path "${location}" leaves the model's folder`, 'external data must lie in the folder of the .onnx file or below it');
  }
  const offset = Number(kv.get('offset') ?? 0);
  const length = kv.has('length') ? Number(kv.get('length')) : need;
  if (!Number.isSafeInteger(offset) || offset < 0 || length !== need) {
    throw bad(name, `external data offset ${kv.get('offset')} / length ${kv.get('length')} do not fit ${need} bytes`);
  }
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    throw new UserError('E_ONNX_EXTERNAL', `tensor "${name}": cannot open external data file "${location}"`, 'keep the data file next to the .onnx file');
  }
  try {
    if (fstatSync(fd).size < offset + need) throw bad(name, `external data file "${location}" is shorter than offset + length`);
    const out = new Uint8Array(need);
    let got = 0;
    while (got < need) {
      const r = readSync(fd, out, got, need - got, offset + got);
      if (r <= 0) throw bad(name, `external data file "${location}" ended early`);
      got += r;
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

