// Models for the tests: `fullModel` sets every field the writer knows, with values that differ
// from the schema defaults, so a field written to the wrong slot cannot go unnoticed.
import {
  bmodelModel, bmodelNet, bmodelStage, bmodelSubNet, bmodelTensor, type BmodelModel,
} from '@tpu-quant/bmodel';

export function bytesOf(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const input = () => bmodelTensor({
  name: 'input', dataType: 'i8', shape: [1, 3, 224, 224], deviceAddr: 0x1_0000_2000, size: 150528,
  scale: Math.fround(1 / 0.0187), zeroPoint: 0, index: 0,
});
const output = () => bmodelTensor({
  name: 'output_Gemm', dataType: 'f32', shape: [1, 1000], deviceAddr: 0x1_0004_0000, size: 4000,
  scale: 1, index: 0,
});

/** One net, one stage carrying a tpu-quant program: what model_deploy writes. */
export function programModel(coeffBytes = 256): BmodelModel {
  return bmodelModel({
    version: '2.2+tpu-quant-0.1.0',
    time: 'Sun Nov 29 11:00:36 2026',
    chip: 'BM1684X',
    nets: [bmodelNet({
      name: 'mobilenet_v2',
      stages: [bmodelStage({
        inputs: [input()],
        outputs: [output()],
        ctxAddr: 0x1_0000_0000,
        ctxSize: 0x80000,
        coeff: { address: 0x1_0100_0000, data: bytesOf(coeffBytes, 7), locations: [] },
        program: {
          mlir: 'module @mobilenet_v2 attributes {module.chip = "bm1684x"} {\n  // µ-test\n}\n',
          weights: bytesOf(96, 11),
        },
      })],
    })],
  });
}

/** Every table and field the writer handles, non-default values throughout. */
export function fullModel(): BmodelModel {
  const i8 = bmodelTensor({
    name: 'data', dataType: 'u8', gmemStmode: 2, deviceAddr: 2 ** 40 + 4096, size: 3 * 32 * 32,
    shapes: [[1, 3, 32, 32], [4, 3, 32, 32]], memType: 3, scale: Math.fround(0.125), zeroPoint: -3,
    cpuAddr: 17, padH: 0x00020001, hidden: 1, index: 2,
  });
  const out = bmodelTensor({
    name: 'prob', dataType: 'bf16', deviceAddr: 0xffff_ffff_ff, size: 20, shape: [1, 10],
    memType: 2, scale: Math.fround(0.5), zeroPoint: 5, hidden: 2, index: 1,
  });
  const coeff = bytesOf(300, 1);
  const cmd = { bdcNum: 3, gdmaNum: 4, bdc: bytesOf(40, 2), gdma: bytesOf(24, 3), bdcCmdByte: 40, gdmaCmdByte: 24 };
  return bmodelModel({
    type: 'B', version: '2.2+v1.9', time: 'Mon Jan  5 01:02:03 2026', chip: 'BM1688',
    neuronSize: 123456, deviceNum: 2, bmodelType: 1,
    kernelModule: { fileName: 'libbm1688_kernel_module.so', binary: bytesOf(64, 4) },
    cpuopModule: { fileName: 'libcpuop.so', binary: bytesOf(32, 5) },
    libBackend: bytesOf(16, 6),
    nets: [
      bmodelNet({
        name: 'net_a', addrMode: 3, cascade: { deviceId: 1, step: 2, mainName: 'main' },
        stages: [
          bmodelStage({
            inputs: [i8], outputs: [out], ctxAddr: 2 ** 39, ctxSize: 4096, ctxSizes: [4096, 512],
            coeff: { address: 2 ** 36, data: coeff, locations: [{ name: 'conv_w', offset: 0, size: 256 }, { name: 'conv_b', offset: 256, size: 44 }] },
            isDynamic: 1, nDynamic: 1, hwDynamic: 1, cmdGroups: [cmd],
            subNets: [
              bmodelSubNet({ mode: 0, id: 0, nextSubnetIds: [1], inputs: [i8], outputs: [out], cmdGroups: [cmd], isDynamic: 1, irOffset: 8, irLen: 16, nDynamic: 1, hwDynamic: 1 }),
              bmodelSubNet({
                mode: 1, id: 1, nextSubnetIds: [], inputs: [out], outputs: [out],
                cpuParams: [{ opType: 7, isCustom: 0, param: bytesOf(12, 8), consts: [{ name: 'anchors', data: bytesOf(20, 9) }] }],
              }),
            ],
            cpuMemSize: 77, coreNum: 2, ioAddr: 2 ** 38, ioSize: 999,
            netProfile: bytesOf(10, 10), binaryIr: bytesOf(11, 11), netStat: bytesOf(12, 12), tensorLoc: bytesOf(13, 13),
          }),
          // A second stage sharing the coeff blob: the writer stores it once.
          bmodelStage({
            inputs: [bmodelTensor({ ...i8, shapes: [[2, 3, 32, 32]] })], outputs: [out], ctxAddr: 2 ** 39, ctxSize: 8192,
            coeff: { address: 2 ** 36, data: coeff.slice(), locations: [] },
          }),
        ],
      }),
      bmodelNet({ name: 'net_b', stages: [] }),
    ],
  });
}
