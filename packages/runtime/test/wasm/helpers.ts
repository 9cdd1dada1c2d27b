// Runs one op on a backend's kernel directly (no session), and compares with the js reference.
import type { NdArray, Op, TensorType, Value } from '@tpu-quant/ir';
import { expect } from 'vitest';
import type { Backend } from '../../src/registry.js';
import { getKernel } from '../../src/registry.js';
import '../../src/kernels/js/index.js';
import '../../src/kernels/wasm/index.js';

export const WASM: Backend = 'wasm';

export function runOn(backend: Backend, op: Op, inputs: (NdArray | undefined)[]): NdArray {
  const k = getKernel(op.type, backend);
  if (!k) throw new Error(`no ${backend} kernel for ${op.type}`);
  const outputTypes = op.results.map((r) => (r.type.kind === 'tensor' ? (r.type as TensorType) : undefined));
  return k.run({ op, inputs, outputTypes, weights: new Map() })[0]!;
}

export const producer = (v: Value): Op => v.producer!;

/** wasm and js agree within 1e-5 of the result's largest magnitude (summation order differs). */
export function expectSame(op: Op, inputs: (NdArray | undefined)[]): void {
  const want = runOn('js', op, inputs);
  const got = runOn(WASM, op, inputs);
  expect(got.shape).toEqual(want.shape);
  const a = got.data as Float32Array;
  const b = want.data as Float32Array;
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < b.length; i++) {
    // NaN must stay NaN (and only there)
    if (Number.isNaN(a[i]!) || Number.isNaN(b[i]!)) {
      if (!(Number.isNaN(a[i]!) && Number.isNaN(b[i]!))) diff = Number.POSITIVE_INFINITY;
      continue;
    }
    scale = Math.max(scale, Math.abs(b[i]!));
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
  }
  expect(diff).toBeLessThanOrEqual(1e-5 * Math.max(scale, 1e-30));
}
