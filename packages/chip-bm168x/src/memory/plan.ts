// The memory plan address assignment produces (spec deploy.md §6.1): where every coefficient and
// activation lives in DDR, and what the bmodel writer needs from it (§7.1: CoeffMem, ctx_addr /
// ctx_size, io_addr / io_size, input/output tensors with device_addr and size).

/**
 * TPU-MLIR's `--addr_mode` (spec deploy.md §6.1 item 7; addr-modes.ts): `basic` IO in the neuron
 * region; `io_alone` inputs and outputs in their own region; `io_tag` the ≤ 5 largest IO tensors at
 * the chip's IO tag addresses; `io_tag_fuse` all inputs packed at IO tag 0, all outputs at IO tag 1;
 * `io_reloc` IO tensors moved to their own slots after the neurons (relocated by the runtime).
 */
export type AddrMode = 'basic' | 'io_alone' | 'io_tag' | 'io_tag_fuse' | 'io_reloc';

/** `Net.addr_mode` in the bmodel (Module.td's AddrMode; io_reloc's number is not in the sources we have: 4, the next one). */
export const ADDR_MODE_CODE: Readonly<Record<AddrMode, number>> = { basic: 0, io_alone: 1, io_tag: 2, io_tag_fuse: 3, io_reloc: 4 };

/** The two GmemAllocator strategies; the one with the smaller total wins (ties: FitFirstAssign). */
export type AllocatorName = 'FitFirstAssign' | 'OpSizeOrderAssign';

/** Live range `[start, end)` in op indices; `ALWAYS_LIVE_END` for always-live buffers. */
export interface LiveRange {
  readonly start: number;
  readonly end: number;
}

/** TPU-MLIR's "forever" end (0xFFFFFFFF): graph inputs, unused values, io_alone outputs. */
export const ALWAYS_LIVE_END = 0xffffffff;

export interface CoeffPlacement {
  /** The Weight op's name (its key in the weight npz). */
  readonly name: string;
  readonly addr: number;
  /** addr − coeff.addr: where its bytes sit in the blob. */
  readonly offset: number;
  /** Unaligned bytes (element count · bits / 8, rounded up). */
  readonly bytes: number;
}

export interface CoeffPlan {
  readonly addr: number;
  /** Aligned total: every weight starts on the alignment. */
  readonly size: number;
  /** The coeff blob: each weight's bytes at its offset, gaps zero. */
  readonly blob: Uint8Array;
  /** SHA-256 of the blob, lower-case hex (`CoeffMem.check_code`). */
  readonly sha256: string;
  readonly weights: readonly CoeffPlacement[];
}

/** `io_tag`: one of the chip's IO tag address spaces (`ValuePlacement.tag` says which). */
export type Region = 'coeff' | 'neuron' | 'io' | 'io_tag' | 'l2sram';

/** One value with an address: an activation buffer, an in-place alias of one, or a weight alias. */
export interface ValuePlacement {
  readonly name: string;
  readonly addr: number;
  /** Gmem bytes (BM1684 4N rounds the batch up), before alignment. */
  readonly bytes: number;
  /** Bytes reserved: `bytes` aligned up (0 for an alias, which reserves nothing of its own). */
  readonly size: number;
  /** Live range of the buffer (an alias shows its owner's). */
  readonly live: LiveRange;
  readonly region: Region;
  /** IO tag index (0..4) in region `io_tag`. */
  readonly tag?: number;
  /** For an in-place result (Reshape & co., a merged Concat input): the value owning the buffer. */
  readonly inPlaceOf?: string;
}

export interface IoTensor {
  readonly name: string;
  readonly addr: number;
  /** Gmem bytes (bmodel `Tensor.size`). */
  readonly bytes: number;
  readonly shape: readonly number[];
  /** Storage mode (bmodel `gmem_stmode`): 4N for BM1684 8-bit tensors. */
  readonly store: '1N' | '4N';
  /** IO tag index when the tensor sits at an IO tag (io_tag, io_tag_fuse). */
  readonly tag?: number;
}

/** One IO tag address space in use: where it starts and the bytes placed there. */
export interface IoTagRegion {
  readonly tag: number;
  readonly addr: number;
  readonly size: number;
}

export interface MemoryPlan {
  readonly chip: string;
  readonly addrMode: AddrMode;
  readonly alignment: number;
  readonly coeff: CoeffPlan;
  /** ctx_addr / ctx_size. */
  readonly neuron: { readonly addr: number; readonly size: number };
  /** io_addr / io_size, in io_alone mode only. */
  readonly io?: { readonly addr: number; readonly size: number };
  /** The IO tag spaces used (io_tag, io_tag_fuse), by tag. */
  readonly ioTags?: readonly IoTagRegion[];
  /** BM1690 on-chip L2 SRAM: start, bytes used, and the bytes it offered (L2_SRAM_SIZE / 8 · cores). */
  readonly l2sram?: { readonly addr: number; readonly size: number; readonly capacity: number };
  readonly allocator: AllocatorName;
  /** Neuron bytes each strategy needed (the same set of buffers). */
  readonly totals: Readonly<Record<AllocatorName, number>>;
  /** Every value with an address, in op order (weights are in `coeff`). */
  readonly values: readonly ValuePlacement[];
  readonly inputs: readonly IoTensor[];
  readonly outputs: readonly IoTensor[];
}
