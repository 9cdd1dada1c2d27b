// Target registry: per-processor data (spec deploy.md §6.4) and hooks chip packages add.
export { registerTarget, getTarget, findTarget, listTargets, extendTarget } from './target-registry.js';
export { BUILTIN_PROCESSORS } from './processors.js';
export { resolveMixFloatType } from './mix-float-type.js';
export {
  lmemBankBytes,
  type TargetInfo,
  type TargetHooks,
  type TargetHook,
  type Target,
  type TargetFamily,
  type TargetArch,
  type GmemLayout,
  type QuantMode,
  type FloatMode,
} from './target-info.js';
