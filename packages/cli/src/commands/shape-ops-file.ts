// The shape-op table every run_calibration writes first (spec §1.2 step 2, §10.1), the searches
// included. TPU-MLIR writes it to the working directory; we write it into `outDir` (beside the
// run's other files) as `<module name>_shape_ops`.
import { basename, extname, join } from 'node:path';
import { findShapeOps, formatQtable } from '@tpu-quant/calib';
import { atomicWriteFile, findTarget, type Module } from '@tpu-quant/ir';

/** The float mode written to run_calibration's qtables: `--fp_type`, `auto` = the chip's mix float type. */
export function qtableFloatMode(chip: string, fpType: string): string {
  return fpType === 'auto' ? (findTarget(chip)?.floatForMix ?? 'F16') : fpType.toUpperCase();
}

export async function writeShapeOpsFile(module: Module, o: { mlirFile: string; outDir: string; chip: string; fpType: string }): Promise<{ file: string; count: number }> {
  const mode = qtableFloatMode(o.chip, o.fpType);
  const shapeOps = findShapeOps(module);
  const file = join(o.outDir, `${module.name ?? basename(o.mlirFile, extname(o.mlirFile))}_shape_ops`);
  await atomicWriteFile(file, formatQtable({ time: new Date(), chip: o.chip, mode }, shapeOps.map((n) => ({ name: n, mode }))));
  return { file, count: shapeOps.length };
}
