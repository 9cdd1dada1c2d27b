// `--fp_type` of the mixed-precision tools and model_deploy's qtable lowering (spec calibration.md
// §6.2, TPU-MLIR's FLOAT_MAP / chip_support_mix_fp_type): `auto` is the processor's float type for
// mixing; an explicit type must be one the processor mixes in.
import { UserError } from '../core/index.js';
import type { FloatMode } from './target-info.js';
import { getTarget } from './target-registry.js';

const FLOAT_MODES: readonly string[] = ['F32', 'F16', 'BF16'];

/** The float mode `fpType` (auto, F32, F16, BF16; any case) means on `chip`. */
export function resolveMixFloatType(chip: string, fpType = 'auto'): FloatMode {
  const target = getTarget(chip.toLowerCase());
  if (fpType.toLowerCase() === 'auto') return target.floatForMix;
  const mode = fpType.toUpperCase();
  if (!FLOAT_MODES.includes(mode)) {
    throw new UserError('E_BAD_FLAG', `--fp_type ${fpType} is not a float type`, 'use auto, F16, F32 or BF16');
  }
  if (!(target.mixFloatTypes as readonly string[]).includes(mode)) {
    const hint = target.mixFloatTypes.length > 0
      ? `${target.name} mixes in ${target.mixFloatTypes.join(', ')} (auto: ${target.floatForMix})`
      : `${target.name} takes only --fp_type auto (${target.floatForMix})`;
    throw new UserError('E_FP_TYPE', `--fp_type ${mode} is not a mixing float type of ${target.name}`, hint);
  }
  return mode as FloatMode;
}
