// `strip-io-quant{quant_input quant_output}` (TPU-MLIR's StripIOQuant.cpp, spec deploy.md §3.6,
// §4.3 step 2): the model's I/O stays in the lowered types instead of f32.
// - quant_input: a tpu.Cast reading a top.Input that has no other user is removed; the input takes
//   the cast's type (int8 / uint8 codes, or f16 / bf16), so the caller feeds data in that type;
// - quant_output: a tpu.Cast whose only user is the return is removed; the output is the cast's
//   input (int8 codes, or f16 / bf16).
// `modelInputs` converts float inputs the way TPU-MLIR's model runner feeds a model with such
// inputs (python/utils/lowering.py, spec §4.4 step 4): int8 q = clip(round_half_away(x / S) + ZP),
// f16 rounded to nearest even, bf16 truncated to the upper 16 bits.
import type { Module, NdArray, TensorType } from '@tpu-quant/ir';
import { getPass, ndarray, registerPass, verifyModule } from '@tpu-quant/ir';
import { quantizeArray, quantParamsOfUniform } from '../quant/scales.js';
import { floatWeightData } from './float-weights.js';

export interface StripIoQuantOptions {
  readonly quantInput?: boolean;
  readonly quantOutput?: boolean;
}

export interface StripIoQuantReport {
  /** Inputs whose cast was removed, with their new element type (e.g. `i8`, `f16`). */
  readonly inputs: { name: string; type: string }[];
  /** Outputs whose cast was removed: the new output name and its element type. */
  readonly outputs: { name: string; type: string }[];
}

export function stripIoQuant(module: Module, opts: StripIoQuantOptions): StripIoQuantReport {
  const f = module.main;
  const report: StripIoQuantReport = { inputs: [], outputs: [] };
  if (opts.quantInput) {
    for (const input of f.ops.filter((o) => o.type === 'top.Input')) {
      const v = input.result();
      const users = v.uses.map((u) => u.op);
      const cast = users[0];
      // an input that is integer already (the raw uint8 image of --fuse_preprocess) keeps its type
      if (users.length !== 1 || cast?.type !== 'tpu.Cast' || (v.type.kind === 'tensor' && v.type.element.kind !== 'float')) continue;
      // the input keeps its name; it and the function argument take the cast's type
      v.type = cast.result().type;
      const arg = input.operands[0];
      if (arg) arg.type = v.type;
      cast.result().replaceAllUsesWith(v);
      cast.erase();
      report.inputs.push({ name: v.name ?? '?', type: elementName(v.type as TensorType) });
    }
  }
  const ret = f.returnOp;
  if (opts.quantOutput && ret) {
    ret.operands.forEach((v, i) => {
      const cast = v.producer;
      if (cast?.type !== 'tpu.Cast' || v.uses.length !== 1) return;
      const src = cast.operand(0);
      ret.setOperand(i, src);
      cast.erase();
      report.outputs.push({ name: src.name ?? '?', type: elementName(src.type as TensorType) });
    });
    f.resultTypes = ret.operands.map((v) => v.type);
  }
  verifyModule(module);
  return report;
}

/** Element type of a tensor type in npz terms: `i8`, `u8`, `f16`, `bf16`, `f32`. */
function elementName(t: TensorType): string {
  const e = t.element;
  if (e.kind === 'quant.uniform') return e.storage.signedness === 'unsigned' ? 'u8' : 'i8';
  return e.kind === 'float' ? e.name : e.kind;
}

/**
 * Float inputs (by name) as the module's inputs take them: quantized inputs as int8 / uint8 codes,
 * f16 / bf16 inputs as their bit patterns; f32 inputs and names the module does not have as given.
 */
export function modelInputs(module: Module, inputs: ReadonlyMap<string, NdArray>): Map<string, NdArray> {
  const types = new Map<string, TensorType>();
  for (const op of module.main.ops) if (op.type === 'top.Input' && op.name !== undefined) types.set(op.name, op.result().type as TensorType);
  const out = new Map<string, NdArray>();
  for (const [name, x] of inputs) {
    const t = types.get(name);
    const e = t?.element;
    const f32 = x.dtype === 'f32' ? (x.data as Float32Array) : Float32Array.from(x.data as ArrayLike<number>);
    if (e?.kind === 'quant.uniform') {
      const q = quantParamsOfUniform(e);
      // integer data of the storage type are codes already (a fused-preprocessing uint8 image), fed as given
      if (x.dtype === (q.bits === 16 ? (q.signed ? 'i16' : 'u16') : q.signed ? 'i8' : 'u8')) {
        out.set(name, x);
        continue;
      }
      const codes = quantizeArray(f32, q);
      out.set(name, ndarray(q.bits === 16 ? (q.signed ? 'i16' : 'u16') : q.signed ? 'i8' : 'u8', x.shape, codes));
    } else if (e?.kind === 'float' && e.name === 'f16') {
      out.set(name, floatWeightData(ndarray('f32', x.shape, f32), e));
    } else if (e?.kind === 'float' && e.name === 'bf16') {
      const u32 = new Uint32Array(Float32Array.from(f32).buffer);
      out.set(name, ndarray('bf16', x.shape, Uint16Array.from(u32, (b) => b >>> 16)));
    } else out.set(name, x);
  }
  return out;
}

/** Registers the `strip-io-quant` pass (TPU-MLIR's option names) once. */
export function registerStripIoQuantPass(): void {
  if (getPass('strip-io-quant')) return;
  registerPass({
    name: 'strip-io-quant',
    summary: 'keep the model inputs / outputs in their lowered types: drop the casts from / to f32 (TPU-MLIR strip-io-quant)',
    options: {
      quant_input: { type: 'bool', default: false, doc: 'drop the cast after each input' },
      quant_output: { type: 'bool', default: false, doc: 'drop the cast before each output' },
    },
    run: (m, o) => {
      stripIoQuant(m, { quantInput: o.quant_input, quantOutput: o.quant_output });
    },
  });
}
