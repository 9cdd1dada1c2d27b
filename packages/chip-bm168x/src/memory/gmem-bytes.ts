// Bytes of a tensor in DDR (TPU-MLIR's `get_gmem_bytes`, spec deploy.md §6.1 step 3) and the
// address encoding kept in the IR (`tensor<1x3xf32, 4294967296 : i64>`, as TPU-MLIR prints it).
import { isTensor, storageElement, tensorType, UserError, type Type, type Value } from '@tpu-quant/ir';

export function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

/** Storage bits of one element (i1 is stored as a byte). */
export function elementBits(t: Type): number {
  if (!isTensor(t)) throw new Error(`not a tensor type: ${t.kind}`);
  const e = storageElement(t.element);
  if (e.kind === 'index') return 64;
  if (e.kind === 'float') return e.name === 'f32' ? 32 : e.name === 'f64' ? 64 : 16;
  return e.width === 1 ? 8 : e.width;
}

/**
 * Gmem bytes of a value: elements · bits / 8, rounded up. With `batch4N` (BM1684 int8 storage) the
 * batch is rounded up to 4 first, since 4N interleaves four batches per 32-bit word.
 */
export function gmemBytes(t: Type, batch4N = false): number {
  if (!isTensor(t)) throw new Error(`not a tensor type: ${t.kind}`);
  if (t.shape.some((d) => d < 0)) {
    throw new UserError('E_DYNAMIC_SHAPE', `a tensor of shape [${t.shape.join(',')}] has no static size`, 'address assignment needs static shapes');
  }
  const bits = elementBits(t);
  const shape = [...t.shape];
  if (batch4N && bits === 8 && shape.length > 0) shape[0] = alignUp(shape[0]!, 4);
  const n = shape.reduce((a, d) => a * d, 1);
  return Math.ceil((n * bits) / 8);
}

/** The address a value's type carries (TPU-MLIR's `module::getAddress`), or undefined. */
export function addressOf(v: Value): number | undefined {
  const t = v.type;
  if (!isTensor(t) || t.encoding === undefined) return undefined;
  const m = /^\s*(\d+)\s*:\s*i64\s*$/.exec(t.encoding);
  return m ? Number(m[1]) : undefined;
}

/** Writes `addr` into the value's tensor type (replacing any earlier address). */
export function setAddress(v: Value, addr: number): void {
  const t = v.type;
  if (!isTensor(t)) throw new Error('setAddress: not a tensor');
  if (!Number.isSafeInteger(addr) || addr < 0) throw new Error(`setAddress: bad address ${addr}`);
  v.type = tensorType(t.shape, t.element, `${addr} : i64`);
}
