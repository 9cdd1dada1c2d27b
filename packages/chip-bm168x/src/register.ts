// Everything this package adds to the shared registries when it is imported: the `tpu` op
// definitions (ir), the tpu kernels (runtime), the `convert-top-to-tpu` pass (ir's pass manager)
// and the `lower` / `kernels` hooks of the BM1684X-family processors and BM1684 (ir's target registry).
import { extendTarget, getPass, registerOpDefs, registerPass, getOpDef } from '@tpu-quant/ir';
import { tpuOps } from './dialect/ops.js';
import { registerTpuKernels } from './kernels/index.js';
import { lowerTopToTpu } from './lowering/convert-top-to-tpu.js';
import { registerStripIoQuantPass } from './lowering/strip-io-quant.js';
import { registerFusePreprocessPass } from './lowering/fuse-preprocess.js';
import { registerAddressAssignPass } from './memory/index.js';

/** The processors whose lowering is the BM1684X family's (spec deploy.md §3.10). */
export const BM1684X_FAMILY = ['bm1684x', 'bm1688', 'bm1690', 'cv186x'] as const;

/** Every processor this package lowers to: the BM1684X family, and BM1684 (INT8 §3.11, F32). */
export const BM168X_PROCESSORS = [...BM1684X_FAMILY, 'bm1684'] as const;

const MODES = ['INT8', 'F32', 'F16', 'BF16', 'INT4'] as const;

function lowerHook(chip: string) {
  return (module: Parameters<typeof lowerTopToTpu>[0], options?: Readonly<Record<string, unknown>>) =>
    lowerTopToTpu(module, { chip, mode: typeof options?.mode === 'string' ? options.mode : 'INT8', asymmetric: options?.asymmetric === true });
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
