// Built-in processor data. Sources (tpu-quant spec, /work/shared/spec):
//   deploy.md §6.4 "Chip parameter table" (lanes, EU bytes, LMEM, banks, alignment, addresses),
//   deploy.md §9 "Supported processors and families", §3.13 (asymmetric support),
//   deploy.md §3.5 (INT4 has a lowering entry in the shared BM1684X-family dispatch),
//   deploy.md §3.8 + calibration.md §6.2 (float type for auto/mixing, allowed explicit types),
//   deploy.md §6.2 (CV18xx tags), §4.1 (`--num_core`: 2 on BM1688/CV186X, 8 on BM1690).
// Left out: mars3 / sg2380 / sg2262 / sgtpuv8 — §6.4 gives no numbers of their own for them.
import type { GmemLayout, TargetInfo } from './target-info.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GMEM_4G = 0x1_0000_0000;

const BM1684X_FAMILY_MODES = ['F32', 'F16', 'BF16', 'INT8', 'INT4'] as const;

/** BM1688.h, also the CV186X backend (§9: "same backend params"). */
const BM1688_PARAMS = {
  family: 'bm1684x',
  arch: 'BM1688',
  container: 'bmodel',
  lanes: 32,
  euBytes: 16,
  localMemBytes: 128 * KiB,
  lmemBanks: 16,
  globalAlignment: 0x1000,
  icParallel: 32,
  gmem: {
    start: 2 ** 39,
    tags: { weight: 1 * 2 ** 36, activation: 2 * 2 ** 36, io: [3, 4, 5, 6, 7].map((k) => k * 2 ** 36) },
  },
  int8Layout: '1N',
  quantModes: BM1684X_FAMILY_MODES,
  floatForMix: 'F16',
  mixFloatTypes: ['F16', 'F32'],
  asymmetric: true,
  cores: 2,
} as const satisfies Omit<TargetInfo, 'name'>;

/** CV18xx.h: the same address plan on every CV18xx chip (§6.4 "as CV183X", §6.2). */
const CV18XX_GMEM: GmemLayout = {
  start: GMEM_4G,
  tags: { weight: 1 * 2 ** 40, private: 2 * 2 ** 40, io: [0, 1, 2, 3, 4].map((i) => (3 + i) * 2 ** 40) },
};

const CV18XX_PARAMS = {
  family: 'cv18xx',
  arch: 'CV18xx',
  container: 'cvimodel',
  euBytes: 16,
  localMemBytes: 32 * KiB,
  globalAlignment: 16,
  gmem: CV18XX_GMEM,
  int8Layout: '1N',
  quantModes: ['BF16', 'INT8'],
  floatRemap: { F32: 'BF16', F16: 'BF16' },
  floatForMix: 'BF16',
  mixFloatTypes: ['BF16'],
  asymmetric: false,
  cores: 1,
} as const satisfies Omit<TargetInfo, 'name' | 'lanes' | 'lmemBanks'>;

export const BUILTIN_PROCESSORS: readonly TargetInfo[] = [
  {
    name: 'bm1684',
    family: 'bm1684',
    arch: 'BM1684',
    container: 'bmodel',
    lanes: 64,
    euBytes: 128,
    localMemBytes: 512 * KiB,
    lmemBanks: 8,
    globalAlignment: 0x1000,
    dmaAlignment: 512,
    gmem: { start: GMEM_4G, coeffStart: GMEM_4G + 0x5000000 + 0x100000 },
    int8Layout: '4N',
    quantModes: ['F32', 'INT8'],
    floatForMix: 'F32',
    mixFloatTypes: ['F32'],
    asymmetric: false,
    cores: 1,
  },
  {
    name: 'bm1684x',
    family: 'bm1684x',
    arch: 'BM1684X',
    container: 'bmodel',
    lanes: 64,
    euBytes: 64,
    localMemBytes: 256 * KiB,
    lmemBanks: 16,
    globalAlignment: 0x1000,
    dmaAlignment: 512,
    icParallel: 64,
    gmem: { start: GMEM_4G, coeffStart: GMEM_4G, ctxStart: GMEM_4G, l2sram: { start: 0x10000000, size: 0x1fb000 } },
    int8Layout: '1N',
    quantModes: BM1684X_FAMILY_MODES,
    floatForMix: 'F16',
    mixFloatTypes: ['F16', 'F32'],
    asymmetric: true,
    cores: 1,
  },
  { name: 'bm1688', ...BM1688_PARAMS },
  {
    name: 'bm1690',
    family: 'bm1684x',
    arch: 'BM1690',
    container: 'bmodel',
    lanes: 64,
    euBytes: 64,
    localMemBytes: 256 * KiB,
    lmemBanks: 16,
    globalAlignment: 0x1000,
    dmaAlignment: 256,
    icParallel: 64,
    gmem: {
      start: 0,
      tags: { weight: 1 * 2 ** 40, activation: 2 * 2 ** 40 },
      // 0x6980000000 | (30 << 40): the two parts share no bits, so + is the same as |.
      l2sram: { start: 0x6980000000 + 30 * 2 ** 40, size: 128 * MiB },
    },
    int8Layout: '1N',
    quantModes: BM1684X_FAMILY_MODES,
    floatForMix: 'F16',
    // FLOAT_MAP has bm1690 but chip_support_mix_fp_type does not: only "auto" works upstream.
    mixFloatTypes: [],
    asymmetric: true,
    cores: 8,
  },
  { name: 'cv186x', ...BM1688_PARAMS },
  // Bank counts of cv182x/cv181x/cv180x were not confirmed (§6.4), so they stay undefined.
  { name: 'cv183x', lanes: 32, lmemBanks: 8, vpssAlign: { width: 32, channel: 4096 }, ...CV18XX_PARAMS },
  { name: 'cv182x', lanes: 8, lmemBanks: undefined, ...CV18XX_PARAMS },
  // §6.4 says only "VPSS align 64" for cv181x; taken as the row (width) alignment.
  { name: 'cv181x', lanes: 8, lmemBanks: undefined, vpssAlign: { width: 64 }, ...CV18XX_PARAMS },
  { name: 'cv180x', lanes: 2, lmemBanks: undefined, ...CV18XX_PARAMS },
];
