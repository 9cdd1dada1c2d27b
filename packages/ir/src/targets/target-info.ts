// What a processor is, as data: the numbers a lowering, a memory planner or a mixed-precision
// search needs, plus the hooks a chip package adds when it registers (spec deploy.md §6.4, §9,
// §3.8; calibration.md §6.2).
import type { Module } from '../core/index.js';

/** `--quantize` values of model_deploy (deploy.md §4.1). */
export type QuantMode =
  | 'F32'
  | 'F16'
  | 'BF16'
  | 'INT8'
  | 'INT4'
  | 'W8F16'
  | 'W8BF16'
  | 'W4F16'
  | 'W4BF16'
  | 'F8E4M3'
  | 'F8E5M2'
  | 'QDQ';

export type FloatMode = 'F32' | 'F16' | 'BF16';

/**
 * Which lowering scheme a chip uses: BM1684's per-layer shift INT8, the BM1684X family's
 * per-channel multiplier/shift (also BM1688, CV186X, BM1690: deploy.md §3.10), CV18xx's
 * symmetric QDM INT8 + BF16.
 */
export type TargetFamily = 'bm1684' | 'bm1684x' | 'cv18xx';

/** The backend parameter header the numbers come from (`BM1688.h` also serves CV186X). */
export type TargetArch = 'BM1684' | 'BM1684X' | 'BM1688' | 'BM1690' | 'CV18xx';

/**
 * Global-memory address plan. All addresses are below 2^53, so they are plain numbers; tags
 * sit above the offsets, so combine them with `+`, never with `|` (32-bit in JS).
 */
export interface GmemLayout {
  /** GMEM start address. */
  readonly start: number;
  /** Where weights start (COEFF_START_ADDR), where the spec gives it. */
  readonly coeffStart?: number;
  /** Where activations start (CTX_START_ADDR), where the spec gives it. */
  readonly ctxStart?: number;
  /** Address tags of chips that tag memory regions. */
  readonly tags?: {
    readonly weight: number;
    /** BM1688/BM1690 activations. */
    readonly activation?: number;
    /** CV18xx private (cross-routine) gmem. */
    readonly private?: number;
    /** Tags of dedicated IO buffers 0..n-1. */
    readonly io?: readonly number[];
  };
  /** On-chip L2 SRAM. */
  readonly l2sram?: { readonly start: number; readonly size: number };
}

export interface TargetInfo {
  /** CLI name, lower case: `bm1684x`. */
  readonly name: string;
  readonly family: TargetFamily;
  readonly arch: TargetArch;
  /** Container model_deploy writes. */
  readonly container: 'bmodel' | 'cvimodel';
  /** NPU_NUM: lanes, each with its own local memory; channel c lives on lane c % lanes. */
  readonly lanes: number;
  /** EU_BYTES per lane; EU count for a dtype = euBytes / bytes of the dtype. */
  readonly euBytes: number;
  /** LMEM bytes per lane. */
  readonly localMemBytes: number;
  /** LMEM banks; undefined where the spec could not confirm it. */
  readonly lmemBanks: number | undefined;
  /** Alignment of global (DDR) tensor addresses, bytes. */
  readonly globalAlignment: number;
  /** DMA alignment, bytes, where known. */
  readonly dmaAlignment?: number;
  /** IC_PARALLEL (input channels a conv consumes per step), where known. */
  readonly icParallel?: number;
  readonly gmem: GmemLayout;
  /** How int8 tensors are stored in DDR: BM1684 interleaves 4 batches (4N). */
  readonly int8Layout: '1N' | '4N';
  /** `--quantize` modes the chip lowers. */
  readonly quantModes: readonly QuantMode[];
  /** Float type a mode request is rewritten to (CV18xx: F32/F16 -> BF16, deploy.md §3.7). */
  readonly floatRemap?: Readonly<Partial<Record<FloatMode, FloatMode>>>;
  /** Float type of `--fp_type auto` and of INT8 fallbacks (deploy.md §3.8). */
  readonly floatForMix: FloatMode;
  /** Float types allowed as an explicit `--fp_type` (calibration.md §6.2); may be empty. */
  readonly mixFloatTypes: readonly FloatMode[];
  /** Whether `--asymmetric` INT8 is supported (deploy.md §3.13). */
  readonly asymmetric: boolean;
  /** Most tensor cores a model can use (`--num_core`). */
  readonly cores: number;
  /** CV18xx VPSS input alignment (`--aligned_input`), where the spec gives it. */
  readonly vpssAlign?: { readonly width: number; readonly channel?: number };
}

/**
 * Loosely typed for now: each chip package fills these in when it registers, and the real
 * signatures settle as those packages are written.
 */
export type TargetHook = (module: Module, options?: Readonly<Record<string, unknown>>) => unknown;

export interface TargetHooks {
  /** Top -> Tpu lowering. */
  readonly lower?: TargetHook;
  /** Makes the chip's integer-exact kernels available for the module's tpu ops. */
  readonly kernels?: TargetHook;
  /** Assigns global (and local) memory addresses. */
  readonly planMemory?: TargetHook;
}

/** A registered processor: its data and whatever hooks chip packages added. */
export type Target = TargetInfo & TargetHooks;

/** LMEM bytes per bank (LMEM_BANK_BYTES), when the bank count is known. */
export function lmemBankBytes(t: TargetInfo): number | undefined {
  return t.lmemBanks === undefined ? undefined : t.localMemBytes / t.lmemBanks;
}
