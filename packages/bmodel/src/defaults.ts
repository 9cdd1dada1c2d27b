// Constructors that fill every field a caller does not care about with the schema's default,
// so callers name only what matters (and the reader and writer agree on one full shape).
import type {
  BmodelDataType, BmodelModel, BmodelNet, BmodelStage, BmodelSubNet, BmodelTensor,
} from './model.js';
import { MEM_TYPE } from './model.js';

export type TensorInit = Partial<BmodelTensor> & { name: string; dataType: BmodelDataType; shape?: number[] };

/** A tensor; `shape` is shorthand for one-stage `shapes`. Inputs: `scale` is 1/S (see BmodelTensor). */
export function bmodelTensor(init: TensorInit): BmodelTensor {
  const { shape, ...rest } = init;
  return {
    gmemStmode: 0, deviceAddr: 0, size: 0, memType: MEM_TYPE.TPU, scale: 1, zeroPoint: 0,
    cpuAddr: 0, padH: 0, hidden: 0, index: 0,
    ...rest,
    shapes: rest.shapes ?? (shape ? [shape] : []),
  };
}

export function bmodelSubNet(init: Partial<BmodelSubNet> & { mode: number }): BmodelSubNet {
  return {
    id: -1, nextSubnetIds: [], inputs: [], outputs: [], cmdGroups: [], cpuParams: [],
    isDynamic: 0, irOffset: 0, irLen: 0, nDynamic: 0, hwDynamic: 0, ...init,
  };
}

export function bmodelStage(init: Partial<BmodelStage> & Pick<BmodelStage, 'inputs' | 'outputs'>): BmodelStage {
  const ctxSize = init.ctxSize ?? 0;
  return {
    ctxAddr: 0, ctxSize, ctxSizes: [ctxSize], coeff: undefined, isDynamic: 0, nDynamic: 0, hwDynamic: 0,
    cmdGroups: [], subNets: [], cpuMemSize: 0, coreNum: 0, ioAddr: 0, ioSize: 0,
    netProfile: undefined, binaryIr: undefined, netStat: undefined, tensorLoc: undefined, program: undefined,
    ...init,
  };
}

export function bmodelNet(init: Partial<BmodelNet> & Pick<BmodelNet, 'name' | 'stages'>): BmodelNet {
  return { cascade: undefined, addrMode: 0, ...init };
}

/** A model; `neuronSize` defaults to the largest ctx_size of any stage, as TPU-MLIR's codegen sets it. */
export function bmodelModel(init: Partial<BmodelModel> & Pick<BmodelModel, 'version' | 'chip' | 'nets'>): BmodelModel {
  const neuronSize = Math.max(0, ...init.nets.flatMap((n) => n.stages.map((s) => s.ctxSize)));
  return {
    type: 'B', time: bmodelTime(new Date()), neuronSize, deviceNum: 1, bmodelType: 0,
    kernelModule: undefined, cpuopModule: undefined, libBackend: undefined, ...init,
  };
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** C's ctime() layout without the newline ("Sun Nov 29 11:00:36 2026"), local time. */
export function bmodelTime(d: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${d.getFullYear()}`;
}
