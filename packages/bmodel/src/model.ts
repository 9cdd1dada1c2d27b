// The in-memory shape of a .bmodel (spec/deploy.md §7.1), one interface per flatbuffer table we
// use. u64 fields are plain numbers: every address and size a chip uses fits in 2^53, and the
// reader refuses larger values instead of rounding them. Blobs (`Uint8Array`) are what the
// flatbuffer's `Binary {start, size}` structs point at in the binary section.

/** `bmodel.Tensor.data_type`, Param.h's DATA_TYPE enum (spec §6.4), by our dtype spelling. */
export type BmodelDataType =
  | 'f32' | 'f16' | 'i8' | 'u8' | 'i16' | 'u16' | 'i32' | 'u32' | 'bf16' | 'i4' | 'u4' | 'f20' | 'f8e5m2' | 'f8e4m3';

/** Enum value order = the position in this list. */
export const BMODEL_DATA_TYPES: readonly BmodelDataType[] = [
  'f32', 'f16', 'i8', 'u8', 'i16', 'u16', 'i32', 'u32', 'bf16', 'i4', 'u4', 'f20', 'f8e5m2', 'f8e4m3',
];

/** The names TPU-MLIR's model_tool prints for each data type. */
export const BMODEL_DATA_TYPE_NAMES: Readonly<Record<BmodelDataType, string>> = {
  f32: 'float32', f16: 'float16', i8: 'int8', u8: 'uint8', i16: 'int16', u16: 'uint16', i32: 'int32',
  u32: 'uint32', bf16: 'bfloat16', i4: 'int4', u4: 'uint4', f20: 'float20', f8e5m2: 'f8e5m2', f8e4m3: 'f8e4m3',
};

/** Param.h enums (spec §6.4). */
export const GMEM_STMODE = { S1N: 0, S2N: 1, S4N: 2, S3IC: 3 } as const;
export const SUBNET_MODE = { TPU: 0, CPU: 1, MERGE: 2, SWITCH: 3 } as const;
export const MEM_TYPE = { TPU: 1, CPU: 2, ALL: 3 } as const;

export interface BmodelTensor {
  name: string;
  dataType: BmodelDataType;
  gmemStmode: number;
  deviceAddr: number;
  /** Bytes in device memory. */
  size: number;
  /** One shape for a static net; one per stage for old dynamic files. */
  shapes: number[][];
  memType: number;
  /** As stored (float32): for net inputs 1/S (multiply a float to quantize), for outputs S. */
  scale: number;
  zeroPoint: number;
  cpuAddr: number;
  padH: number;
  /** Cascade: 0 hidden, 1 input, 2 output. */
  hidden: number;
  index: number;
}

export interface BmodelCmdGroup {
  bdcNum: number;
  gdmaNum: number;
  bdc: Uint8Array;
  gdma: Uint8Array;
  bdcCmdByte: number;
  gdmaCmdByte: number;
}

export interface BmodelCpuConst {
  name: string;
  data: Uint8Array;
}

export interface BmodelCpuParam {
  opType: number;
  isCustom: number;
  param: Uint8Array | undefined;
  consts: BmodelCpuConst[];
}

export interface BmodelSubNet {
  mode: number;
  id: number;
  /** Empty: the last subnet. */
  nextSubnetIds: number[];
  inputs: BmodelTensor[];
  outputs: BmodelTensor[];
  cmdGroups: BmodelCmdGroup[];
  cpuParams: BmodelCpuParam[];
  isDynamic: number;
  irOffset: number;
  irLen: number;
  nDynamic: number;
  hwDynamic: number;
}

export interface BmodelCoeffLocation {
  name: string;
  offset: number;
  size: number;
}

export interface BmodelCoeff {
  /** Device address of the weights. */
  address: number;
  /** The weight blob; the file stores its SHA-256 as `check_code`. */
  data: Uint8Array;
  locations: BmodelCoeffLocation[];
}

/**
 * What tpu-quant stores in place of the vendor command streams: the lowered tpu-dialect module
 * (MLIR text) and its weights npz, which our model_runner executes. See README "Our program".
 */
export interface BmodelProgram {
  mlir: string;
  weights: Uint8Array;
}

/** One `NetParameter`: a stage (static input shape) of a net. */
export interface BmodelStage {
  inputs: BmodelTensor[];
  outputs: BmodelTensor[];
  ctxAddr: number;
  ctxSize: number;
  ctxSizes: number[];
  coeff: BmodelCoeff | undefined;
  isDynamic: number;
  nDynamic: number;
  hwDynamic: number;
  /** Vendor TIU/GDMA command groups; tpu-quant writes none (closed-source encoders). */
  cmdGroups: BmodelCmdGroup[];
  /** Subnets other than the program subnet (which the writer adds and the reader removes). */
  subNets: BmodelSubNet[];
  cpuMemSize: number;
  coreNum: number;
  ioAddr: number;
  ioSize: number;
  netProfile: Uint8Array | undefined;
  binaryIr: Uint8Array | undefined;
  netStat: Uint8Array | undefined;
  tensorLoc: Uint8Array | undefined;
  program: BmodelProgram | undefined;
}

export interface BmodelCascade {
  deviceId: number;
  step: number;
  mainName: string | undefined;
}

export interface BmodelNet {
  name: string;
  stages: BmodelStage[];
  cascade: BmodelCascade | undefined;
  addrMode: number;
}

export interface BmodelModule {
  fileName: string;
  binary: Uint8Array;
}

export interface BmodelModel {
  /** "B" for models TPU-MLIR writes. */
  type: string;
  version: string;
  /** ctime-like creation time. */
  time: string;
  /** Upper-case chip name: "BM1684X", "BM1688", ... */
  chip: string;
  nets: BmodelNet[];
  /** Max ctx_size over nets and stages. */
  neuronSize: number;
  deviceNum: number;
  bmodelType: number;
  kernelModule: BmodelModule | undefined;
  cpuopModule: BmodelModule | undefined;
  libBackend: Uint8Array | undefined;
}
