// What the per-op lowerings share: the builder, the calibrated range of every (original) tensor,
// and the casts between int8 and float and between float types (spec deploy.md §3.6), made once
// per value and type.
import type { CalibratedQuantType, FloatType, Module, NdArray, Op, TensorType, UniformQuantType, Value } from '@tpu-quant/ir';
import { f32, OpBuilder, tensorType } from '@tpu-quant/ir';
import { floatWeightData } from './float-weights.js';
import { quantParamsOfUniform, uniformTypeFor, type QuantParams } from '../quant/scales.js';
import { calibratedOf, expressedOf } from '../calibration/calibrated.js';
import { cast } from '../dialect/generated/builders.js';

export class LoweringContext {
  readonly b: OpBuilder;
  /** The calibrated range of values that are float now but had one (inputs, float fallbacks). */
  private readonly ranges = new Map<Value, CalibratedQuantType>();
  private readonly casts = new Map<Value, Map<string, Value>>();
  private readonly floatWeights = new Map<Value, Map<string, Value>>();
  private readonly names = new Set<string>();
  /**
   * Values quantized asymmetrically in a symmetric module: the results of ops importCalibration
   * marked `output_asym` (the table's `#asym_op` SiLU/GELU), and what replaces them.
   */
  private readonly asymValues = new Set<Value>();

  /**
   * `partAsymmetric`: honour `output_asym` (BM1684X family, as its SiLU/GELU lowerings do;
   * BM1684's lowerings ignore the attribute).
   */
  constructor(
    readonly module: Module,
    readonly asymmetric: boolean,
    partAsymmetric = true,
  ) {
    this.b = new OpBuilder(module.main);
    for (const op of module.main.ops) {
      for (const r of op.results) if (r.name !== undefined) this.names.add(r.name);
      const a = op.attrs.get('output_asym');
      if (partAsymmetric && a?.kind === 'bool' && a.value) for (const r of op.results) this.asymValues.add(r);
    }
    for (const w of module.weights.keys()) this.names.add(w);
  }

  /** `v` gets zero-point (asymmetric) quantization: the module is asymmetric, or v is an `output_asym` result. */
  isAsymmetric(v: Value): boolean {
    return this.asymmetric || this.asymValues.has(v);
  }

  /** `to` stands for `from` now (a lowered op's result): it keeps from's asymmetric marking. */
  carryAsymmetry(from: Value, to: Value): void {
    if (this.asymValues.has(from)) this.asymValues.add(to);
  }

  /** The calibrated range of `v`: its own type's, or the one recorded when it was made float. */
  rangeOf(v: Value): CalibratedQuantType | undefined {
    return calibratedOf(v) ?? this.ranges.get(v);
  }

  /** Remembers the range of a float value (a float op's result that consumers may quantize). */
  recordRange(v: Value, range: CalibratedQuantType): void {
    this.ranges.set(v, range);
  }

  /**
   * Makes a calibrated value float, remembering its range: element type `t`, or its expressed
   * type (f32). A value of some other float type becomes `t` too; others are left alone.
   */
  makeFloat(v: Value, t?: FloatType): void {
    if (v.type.kind !== 'tensor') return;
    const c = calibratedOf(v);
    if (c) {
      this.ranges.set(v, c);
      v.type = tensorType(v.type.shape, t ?? expressedOf(v));
    } else if (t && v.type.element.kind === 'float') v.type = tensorType(v.type.shape, t);
  }

  /** The int8/uint8 type a calibrated value gets (`getQuantInt8Type(v, asymmetric || output_asym)`). */
  quantTypeOf(v: Value): TensorType | undefined {
    const c = this.rangeOf(v);
    if (!c || v.type.kind !== 'tensor') return undefined;
    return tensorType(v.type.shape, uniformTypeFor(c, this.isAsymmetric(v)));
  }

  /**
   * `v` as an int8/uint8 value: itself when already quantized, else a quantizing tpu.Cast
   * (`<name>_i8` / `_u8`) inserted after its producer; undefined when `v` has no range.
   */
  int8(v: Value): Value | undefined {
    if (uniformOf(v)) return v;
    const t = this.quantTypeOf(v);
    if (!t) return undefined;
    const e = t.element as UniformQuantType;
    return this.castTo(v, t, e.storage.signedness === 'unsigned' ? 'u8' : 'i8');
  }

  /**
   * `v` as a float value of type `t` (default: f32): itself when it has that type (or is not a
   * tensor), else a tpu.Cast named `<name>_<t>` (dequantizing, or float → float).
   */
  float(v: Value, t: FloatType = f32): Value {
    if (v.type.kind !== 'tensor') return v;
    const e = v.type.element;
    if (e.kind === 'float' ? e.name === t.name : e.kind !== 'quant.uniform') return v;
    return this.castTo(v, tensorType(v.type.shape, t), t.name);
  }

  /**
   * Weight `v` (a top.Weight holding f32 data) stored in float type `t`: itself for f32, else a new
   * weight `<name>_f16` / `<name>_bf16` holding the rounded values (made once per weight and
   * type, before `before`). Undefined when `v` is not a loaded f32 weight.
   */
  floatWeight(v: Value, t: FloatType, before: Op): Value | undefined {
    const p = v.producer;
    const w = p?.type === 'top.Weight' && p.name !== undefined ? this.module.weights.get(p.name) : undefined;
    if (!w || (w.dtype !== 'f32' && w.dtype !== 'f64')) return undefined;
    if (t.name === 'f32' || t.name === 'f64') return v;
    let byType = this.floatWeights.get(v);
    if (!byType) this.floatWeights.set(v, (byType = new Map()));
    const hit = byType.get(t.name);
    if (hit) return hit;
    const out = this.weight(`${p!.name!}_${t.name}`, floatWeightData(w, t), before);
    byType.set(t.name, out);
    return out;
  }

  private castTo(v: Value, t: TensorType, suffix: string): Value {
    let byType = this.casts.get(v);
    if (!byType) this.casts.set(v, (byType = new Map()));
    const hit = byType.get(suffix);
    if (hit) return hit;
    const producer = v.producer;
    if (producer) this.b.setInsertionPointAfter(producer);
    else this.b.setInsertionPointBefore(this.module.main.ops[0]!);
    const out = cast(this.b, { input: v }, {}, { loc: this.freshName(`${v.name ?? 'arg'}_${suffix}`), resultType: t }).result();
    byType.set(suffix, out);
    return out;
  }

  /** A new weight `name` (made unique) holding `data`, created before `before`. */
  weight(name: string, data: NdArray, before: Op): Value {
    this.b.setInsertionPointBefore(before);
    return this.b.weight(this.freshName(name), data);
  }

  /** `name`, or `name_1`, `name_2`, ... when some tensor or weight already has it. */
  freshName(name: string): string {
    let n = name;
    for (let i = 1; this.names.has(n); i++) n = `${name}_${i}`;
    this.names.add(n);
    return n;
  }
}

/** The per-tensor `!quant.uniform` of a value, or undefined. */
export function uniformOf(v: Value): UniformQuantType | undefined {
  const t = v.type;
  return t.kind === 'tensor' && t.element.kind === 'quant.uniform' ? t.element : undefined;
}

/** Quant params of a quantized value. */
export function paramsOf(v: Value): QuantParams | undefined {
  const u = uniformOf(v);
  return u ? quantParamsOfUniform(u) : undefined;
}

/** Quant params of a quantized tensor type. */
export function paramsOfType(t: TensorType): QuantParams {
  if (t.element.kind !== 'quant.uniform') throw new TypeError('expected a !quant.uniform tensor type');
  return quantParamsOfUniform(t.element);
}
