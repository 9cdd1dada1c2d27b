// Types in MLIR's spelling: builtin types as AsmPrinter writes them, quant types as the quant
// dialect's printer does (scales and calibrated ranges through printFloat at f64).
import type { CalibratedQuantType, ElementType, IntegerType, Type, UniformQuantType } from '../core/types.js';
import { formatMlirFloat } from './float-format.js';

/** The MLIR text of a type, e.g. `tensor<1x3x?x4xf32>` or `!quant.uniform<i8:f32, 2.350000e-02>`. */
export function printType(t: Type | ElementType): string {
  switch (t.kind) {
    case 'tensor': {
      let s = 'tensor<';
      for (const d of t.shape) s += d < 0 ? '?x' : `${d}x`;
      s += printType(t.element);
      if (t.encoding !== undefined) s += `, ${t.encoding}`;
      return `${s}>`;
    }
    case 'float':
      return t.name;
    case 'int':
      return printIntegerType(t);
    case 'index':
      return 'index';
    case 'none':
      return 'none';
    case 'function': {
      const ins = t.inputs.map(printType).join(', ');
      const r = t.results;
      const one = r.length === 1 && r[0]!.kind !== 'function';
      return `(${ins}) -> ${one ? printType(r[0]!) : `(${r.map(printType).join(', ')})`}`;
    }
    case 'quant.uniform':
      return printUniform(t);
    case 'quant.calibrated':
      return printCalibrated(t);
  }
}

export function printIntegerType(t: IntegerType): string {
  const prefix = t.signedness === 'signed' ? 'si' : t.signedness === 'unsigned' ? 'ui' : 'i';
  return `${prefix}${t.width}`;
}

function printUniform(t: UniformQuantType): string {
  let s = `!quant.uniform<${t.storage.signedness === 'unsigned' ? 'u' : 'i'}${t.storage.width}`;
  if (t.storageMin !== undefined && t.storageMax !== undefined) s += `<${t.storageMin}:${t.storageMax}>`;
  s += `:${t.expressed.name}`;
  const param = (i: number): string => {
    const zp = t.zeroPoints[i] ?? 0;
    return formatMlirFloat(t.scales[i] ?? 0) + (zp !== 0 ? `:${zp}` : '');
  };
  if (t.axis !== undefined) {
    // The quant printer separates per-axis parameters with a bare ','.
    s += `:${t.axis}, {${t.scales.map((_, i) => param(i)).join(',')}}`;
  } else {
    s += `, ${param(0)}`;
  }
  return `${s}>`;
}

function printCalibrated(t: CalibratedQuantType): string {
  return `!quant.calibrated<${t.expressed.name}<${formatMlirFloat(t.min)}:${formatMlirFloat(t.max)}>>`;
}

/** Prints types, reusing the spelling a parsed file used for the very same type object. */
export class TypePrinter {
  private readonly memo = new Map<object, string>();

  constructor(private readonly spelled?: ReadonlyMap<object, string>) {}

  print(t: Type): string {
    let s = this.memo.get(t);
    if (s === undefined) {
      s = this.spelled?.get(t) ?? printType(t);
      this.memo.set(t, s);
    }
    return s;
  }

  list(ts: readonly Type[]): string {
    return ts.map((t) => this.print(t)).join(', ');
  }

  /** `(a, b) -> c` / `(a) -> (b, c)`: an op's or a call's signature. */
  functional(ins: readonly Type[], outs: readonly Type[]): string {
    const one = outs.length === 1 && outs[0]!.kind !== 'function';
    return `(${this.list(ins)}) -> ${one ? this.print(outs[0]!) : `(${this.list(outs)})`}`;
  }
}
