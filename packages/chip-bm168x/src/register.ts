// Everything this package adds to the shared registries when it is imported: the `tpu` op
// definitions (ir), the tpu kernels (runtime), the `convert-top-to-tpu` pass (ir's pass manager)
// and the `lower` / `kernels` hooks of the BM1684X-family processors and BM1684 (ir's target registry).
import { extendTarget, getPass, registerOpDefs, registerPass, getOpDef, resolveMixFloatType } from '@tpu-quant/ir';
import { tpuOps } from './dialect/ops.js';
import { registerTpuKernels } from './kernels/index.js';
import { lowerTopToTpu } from './lowering/convert-top-to-tpu.js';
import { importCalibration, type CalibrationRow } from './calibration/import-calibration.js';
import { propagateCalibration } from './calibration/propagate.js';
import { registerStripIoQuantPass } from './lowering/strip-io-quant.js';
import { registerFusePreprocessPass } from './lowering/fuse-preprocess.js';
import { registerAddressAssignPass } from './memory/index.js';

/** The processors whose lowering is the BM1684X family's (spec deploy.md §3.10). */
export const BM1684X_FAMILY = ['bm1684x', 'bm1688', 'bm1690', 'cv186x'] as const;

/** Every processor this package lowers to: the BM1684X family, and BM1684 (INT8 §3.11, F32). */
export const BM168X_PROCESSORS = [...BM1684X_FAMILY, 'bm1684'] as const;

const MODES = ['INT8', 'F32', 'F16', 'BF16', 'INT4'] as const;

/**
 * `getTarget(chip).lower(module, {mode, calibration, asymOps, quantizeTable, asymmetric, fpType})`:
 * what model_deploy does before and in the lowering — with `calibration` (table rows, parsed by the
 * caller: chips may not import calib) importCalibration + propagateCalibration first, then
 * lowerTopToTpu with the qtable; returns lowerTopToTpu's report. `fpType` is checked against the
 * chip's mixing float types (resolveMixFloatType). Callers passing only {mode} get the plain lowering.
 */
function lowerHook(chip: string) {
  return (module: Parameters<typeof lowerTopToTpu>[0], options?: Readonly<Record<string, unknown>>) => {
    const o = options ?? {};
    const asymmetric = o.asymmetric === true;
    const quantizeTable = o.quantizeTable instanceof Map ? (o.quantizeTable as ReadonlyMap<string, string>) : undefined;
    if (typeof o.fpType === 'string') resolveMixFloatType(chip, o.fpType);
    if (Array.isArray(o.calibration)) {
      const asymOps = Array.isArray(o.asymOps) ? (o.asymOps as string[]) : undefined;
      importCalibration(module, o.calibration as CalibrationRow[], { asymmetric, processor: chip, ...(asymOps ? { asymOps } : {}) });
      propagateCalibration(module, { processor: chip, ...(quantizeTable ? { quantizeTable } : {}) });
    }
    return lowerTopToTpu(module, { chip, mode: typeof o.mode === 'string' ? o.mode : 'INT8', asymmetric, ...(quantizeTable ? { quantizeTable } : {}) });
  };
}
const hooks = new Map(BM168X_PROCESSORS.map((c) => [c, { lower: lowerHook(c), kernels: registerTpuKernels }]));

export function registerBm168x(): void {
  if (!getOpDef('tpu.Conv2D')) registerOpDefs(tpuOps.list);
  registerTpuKernels();
  if (!getPass('convert-top-to-tpu')) {
    registerPass({
      name: 'convert-top-to-tpu',
      summary: 'lower a top module to the tpu dialect (BM1684X family and BM1684)',
      options: {
        chip: { type: 'enum', default: 'bm1684x', values: BM168X_PROCESSORS, doc: 'processor' },
        mode: { type: 'enum', default: 'INT8', values: MODES, doc: 'quantization mode: INT8, F32, F16 or BF16' },
        asymmetric: { type: 'bool', default: false, doc: 'asymmetric INT8 (BM1684X family)' },
      },
      run: (m, o) => {
        lowerTopToTpu(m, { chip: o.chip, mode: o.mode, asymmetric: o.asymmetric });
      },
    });
  }
  registerStripIoQuantPass();
  registerFusePreprocessPass();
  registerAddressAssignPass();
  for (const [chip, h] of hooks) extendTarget(chip, h);
}
