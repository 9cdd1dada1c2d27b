// A bmodel for a lowered tpu-dialect module: the net's input/output tensors from the module's
// signature (names, dtypes, shapes, scales, zero points as TPU-MLIR's codegen stores them) and
// the module itself as the stage's program. No address assignment exists yet, so device
// addresses, ctx and coeff are left at zero/absent rather than made up.
import { UserError, type ElementType, type Module, type Type, type Value } from '@tpu-quant/ir';
import { bmodelModel, bmodelNet, bmodelStage, bmodelTensor } from './defaults.js';
import type { BmodelDataType, BmodelModel, BmodelTensor } from './model.js';

export interface ModuleBmodelOptions {
  /** Upper-cased into `Model.chip` ("bm1684x" -> "BM1684X"). */
  chip: string;
  /** `Model.version`; TPU-MLIR writes "2.2+<its version>". */
  version: string;
  /** The module's MLIR text and weights npz bytes, stored as the stage's program. */
  mlir: string;
  weights: Uint8Array;
  time?: string;
}

/** One net named after the module, one stage carrying the module as its program. */
export function bmodelFromModule(module: Module, opts: ModuleBmodelOptions): BmodelModel {
  const main = module.main;
  const inputs = main.args.map((arg, i) => ioTensor(inputValue(arg), arg.type, 'input', i));
  const outputs = main.outputs.map((v, i) => ioTensor(v, v.type, 'output', i));
  const stage = bmodelStage({ inputs, outputs, program: { mlir: opts.mlir, weights: opts.weights } });
  return bmodelModel({
    version: opts.version,
    chip: opts.chip.toUpperCase(),
    nets: [bmodelNet({ name: module.modelName ?? 'net', stages: [stage] })],
    ...(opts.time === undefined ? {} : { time: opts.time }),
  });
}

/** The tensor that names an argument: the result of the top.Input op reading it, as in TPU-MLIR. */
function inputValue(arg: Value): Value {
  const input = arg.uses.find((u) => u.op.type === 'top.Input')?.op;
  return input?.results[0] ?? arg;
}

function ioTensor(v: Value, type: Type, role: 'input' | 'output', index: number): BmodelTensor {
  const name = v.name ?? `${role}${index}`;
  if (type.kind !== 'tensor') {
    throw new UserError('E_BMODEL_WRITE', `${role} ${name} is a ${type.kind}, not a tensor`, 'a bmodel net takes and returns tensors');
  }
  const { dataType, bits } = storage(type.element, name);
  const el = type.element;
  let scale = 1;
  let zeroPoint = 0;
  if (el.kind === 'quant.uniform') {
    if (el.scales.length !== 1) {
      throw new UserError('E_BMODEL_WRITE', `${role} ${name} is quantized per axis`, 'net inputs and outputs carry one scale');
    }
    // Inputs store 1/S (multiply a float to quantize), outputs S (spec/deploy.md §7.1).
    scale = role === 'input' ? 1 / el.scales[0] : el.scales[0];
    zeroPoint = el.zeroPoints[0];
  }
  const dims = type.shape.map((d) => {
    if (d < 0) throw new UserError('E_BMODEL_WRITE', `${role} ${name} has a dynamic dimension`, 'give static input shapes');
    return d;
  });
  const count = dims.reduce((a, d) => a * d, 1);
  return bmodelTensor({ name, dataType, shape: dims, size: Math.ceil((count * bits) / 8), scale: Math.fround(scale), zeroPoint, index });
}

function storage(el: ElementType, name: string): { dataType: BmodelDataType; bits: number } {
  switch (el.kind) {
    case 'float':
      if (el.name === 'f64') break;
      return { dataType: el.name, bits: el.name === 'f32' ? 32 : 16 };
    case 'quant.calibrated':
      return storage(el.expressed, name);
    case 'quant.uniform':
      return storage(el.storage, name);
    case 'int': {
      const u = el.signedness === 'unsigned';
      const byWidth: Record<number, BmodelDataType> = u ? { 4: 'u4', 8: 'u8', 16: 'u16', 32: 'u32' } : { 4: 'i4', 8: 'i8', 16: 'i16', 32: 'i32' };
      const dt = byWidth[el.width];
      if (dt) return { dataType: dt, bits: el.width };
      break;
    }
    default:
      break;
  }
  throw new UserError('E_BMODEL_WRITE', `tensor ${name}: element type ${el.kind === 'int' ? `i${el.width}` : el.kind === 'float' ? el.name : el.kind} has no bmodel data type`, 'bmodel tensors are f32, f16, bf16 or 4/8/16/32-bit integers');
}
