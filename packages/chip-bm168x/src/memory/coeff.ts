// Coefficient layout (spec deploy.md §6.1 "Weights", §7.1 CoeffMem): every top.Weight that is read,
// in walk order, from COEFF_START; each starts on the alignment. The blob holds each weight's
// bytes at `addr − coeff_addr` with zero gaps; its SHA-256 is the bmodel's check_code.
import { createHash } from 'node:crypto';
import { UserError, type Func, type Value } from '@tpu-quant/ir';
import type { Module, NdArray } from '@tpu-quant/ir';
import { alignUp, gmemBytes } from './gmem-bytes.js';
import type { CoeffPlacement, CoeffPlan } from './plan.js';

export interface CoeffLayout {
  readonly plan: CoeffPlan;
  /** Weight value → its address. */
  readonly addrOf: ReadonlyMap<Value, number>;
}

function bytesOf(a: NdArray): Uint8Array {
  const d = a.data;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

export function layoutCoefficients(module: Module, f: Func, start: number, alignment: number): CoeffLayout {
  const weights: CoeffPlacement[] = [];
  const addrOf = new Map<Value, number>();
  const data: Uint8Array[] = [];
  let addr = start;
  for (const op of f.ops) {
    if (op.type !== 'top.Weight') continue;
    const v = op.result(0);
    if (!v.hasUses) continue;
    const name = op.name ?? '?';
    const nd = module.weights.get(name);
    if (!nd) {
      throw new UserError(
        'E_WEIGHT_MISSING',
        module.weights.size === 0 ? `the weights are not loaded (weight "${name}" is needed for the coefficient blob)` : `weight "${name}" has no data in the weight file`,
        'load the weight npz named by module.weight_file with the module (tpu-quant opt does not load weights)',
      );
    }
    const bytes = gmemBytes(v.type);
    const raw = bytesOf(nd);
    if (raw.byteLength !== bytes) {
      throw new UserError(
        'E_WEIGHT_SIZE',
        `weight "${name}" holds ${raw.byteLength} bytes (${nd.dtype} [${nd.shape.join(',')}]) but its type needs ${bytes}`,
        'the weight npz does not match the module; regenerate both with model_deploy',
      );
    }
    weights.push({ name, addr, offset: addr - start, bytes });
    addrOf.set(v, addr);
    data.push(raw);
    addr = alignUp(addr + bytes, alignment);
  }
  const size = addr - start;
  const blob = new Uint8Array(size);
  weights.forEach((w, i) => blob.set(data[i]!, w.offset));
  const sha256 = createHash('sha256').update(blob).digest('hex');
  return { plan: { addr: start, size, blob, sha256, weights }, addrOf };
}
