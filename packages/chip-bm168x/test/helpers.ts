// Test helpers: a tiny top-module builder for the calibration and lowering tests (one function, one
// input `x`, ops added by the generated top builders, named by their loc) and seeded random data.
import type { Module, NdArray, Value } from '@tpu-quant/ir';
import { f32, Func, Module as IrModule, Op, OpBuilder, tensorType, top } from '@tpu-quant/ir';
import { calibratedOf, type CalibrationRow } from '../src/index.js';

export class Graph {
  readonly module: Module = new IrModule('t', { 'module.state': { kind: 'string', value: 'TOP_F32' } });
  readonly b: OpBuilder;
  readonly x: Value;

  constructor(shape: number[] = [1, 2, 4, 4]) {
    const f = this.module.addFunc(new Func('main'));
    this.b = new OpBuilder(f);
    const arg = f.addArgument(tensorType(shape, f32));
    this.x = top.input(this.b, { input: arg }, {}, { loc: 'x' }).result();
  }

  weight(name: string, data: NdArray): Value {
    return this.b.weight(name, data);
  }

  /** The value named `name` (an op result). */
  v(name: string): Value {
    for (const op of this.module.main.ops) for (const r of op.results) if (r.name === name) return r;
    throw new Error(`no value ${name}`);
  }

  /** [min, max] of a calibrated value, or 'float'. */
  range(name: string): [number, number] | 'float' {
    const r = calibratedOf(this.v(name));
    return r ? [r.min, r.max] : 'float';
  }

  finish(...outs: Value[]): this {
    const f = this.b.func;
    f.resultTypes = outs.map((o) => o.type);
    f.append(new Op('func.return', { operands: outs }));
    return this;
  }
}

/** Rows from `name th min max` lines. */
export function rows(text: string): CalibrationRow[] {
  return text
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .map(([name, th, min, max]) => ({ name: name!, threshold: Number(th), min: Number(min), max: Number(max) }));
}

export { top };

/** Deterministic values in [offset - scale, offset + scale) (an LCG), so failures reproduce. */
export function rand(n: number, seed: number, scale = 1, offset = 0): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * scale + offset;
  }
  return out;
}
