// Where tpu-quant keeps its lowered program inside a bmodel (README "Our program").
//
// The vendor TIU/GDMA command streams come from closed-source encoders, so a stage carries the
// tpu-dialect MLIR text and its weights npz instead. They travel as one CPU subnet
// (subnet_mode 1) holding one custom CpuParam whose op_type no CPU layer library defines and
// whose CpuConst entries are named "tpu-quant.program.mlir" / "tpu-quant.weights.npz". A real
// runtime that loads the file reaches that subnet and fails on the unknown CPU op instead of
// silently running an empty command stream; tools that only read the schema see plain,
// well-formed entries.
import { bmodelError } from './errors.js';
import { bmodelSubNet } from './defaults.js';
import type { BmodelProgram, BmodelStage, BmodelSubNet } from './model.js';
import { SUBNET_MODE } from './model.js';

/** "TPUQ" as a big-endian int32: far above every CPU_LAYER_TYPE_T value of bmcpu. */
export const PROGRAM_OP_TYPE = 0x54505551;
export const PROGRAM_MLIR_NAME = 'tpu-quant.program.mlir';
export const PROGRAM_WEIGHTS_NAME = 'tpu-quant.weights.npz';
/** binary_param of the program CpuParam: says what the subnet is to anyone dumping the file. */
export const PROGRAM_PARAM_TEXT = 'tpu-quant program v1: tpu-dialect MLIR + weights npz, no TPU commands';

const utf8 = new TextEncoder();

/** The subnet that carries `program` for a stage with these inputs and outputs. */
export function programSubNet(stage: Pick<BmodelStage, 'inputs' | 'outputs'>, program: BmodelProgram): BmodelSubNet {
  return bmodelSubNet({
    mode: SUBNET_MODE.CPU,
    id: 0,
    inputs: stage.inputs,
    outputs: stage.outputs,
    cpuParams: [{
      opType: PROGRAM_OP_TYPE,
      isCustom: 1,
      param: utf8.encode(PROGRAM_PARAM_TEXT),
      consts: [
        { name: PROGRAM_MLIR_NAME, data: utf8.encode(program.mlir) },
        { name: PROGRAM_WEIGHTS_NAME, data: program.weights },
      ],
    }],
  });
}

export function isProgramSubNet(s: BmodelSubNet): boolean {
  return s.mode === SUBNET_MODE.CPU && s.cpuParams.length === 1 &&
    s.cpuParams[0].opType === PROGRAM_OP_TYPE && s.cpuParams[0].isCustom === 1;
}

/** The program a program subnet carries; `where` names it in errors. */
export function programFromSubNet(s: BmodelSubNet, where: string): BmodelProgram {
  const consts = s.cpuParams[0].consts;
  const find = (name: string) => {
    const found = consts.filter((c) => c.name === name);
    if (found.length !== 1) throw bmodelError(where, `tpu-quant program subnet has ${found.length} "${name}" entries, expected 1`);
    return found[0].data;
  };
  let mlir: string;
  try {
    mlir = new TextDecoder('utf-8', { fatal: true }).decode(find(PROGRAM_MLIR_NAME));
  } catch (e) {
    if (e instanceof TypeError) throw bmodelError(where, `"${PROGRAM_MLIR_NAME}" is not UTF-8 text`);
    throw e;
  }
  return { mlir, weights: find(PROGRAM_WEIGHTS_NAME) };
}
