// GmemAllocator's two reuse strategies (spec deploy.md §6.1 step 5, `GmemAllocatorMethod.cpp`),
// on plain buffers so that they can be checked by hand. Offsets are relative to the region start;
// sizes are already aligned, so every offset stays aligned.
import type { AllocatorName, LiveRange } from './plan.js';

export interface Buffer extends LiveRange {
  readonly size: number;
}

export interface Allocation {
  readonly name: AllocatorName;
  /** Offset of each buffer, in the input order. */
  readonly offsets: readonly number[];
  /** max(offset + size). */
  readonly total: number;
}

function overlaps(a: LiveRange, b: LiveRange): boolean {
  return Math.max(a.start, b.start) < Math.min(a.end, b.end);
}

/** Buffer indices by live start; ties keep the given (op) order. */
function byLiveStart(buffers: readonly Buffer[]): number[] {
  return buffers.map((_, i) => i).sort((a, b) => buffers[a]!.start - buffers[b]!.start || a - b);
}

interface Block {
  offset: number;
  size: number;
  /** Buffer index, or -1 for a free block. */
  owner: number;
}

/**
 * FitFirstAssign: buffers in order of live start over a list of blocks ending in an endless free
 * tail. Before each buffer, blocks whose owner is not live with it are freed and adjacent free
 * blocks merged (a free block just below the tail merges into it); the buffer takes the largest
 * free block that fits (the first of equal ones), splitting off the rest, else the tail's start.
 * Upstream grows a too-small largest block and shifts the blocks after it, fixing offsets up
 * afterwards; taking the tail instead is the spec's rule and never moves a placed buffer.
 */
export function fitFirstAssign(buffers: readonly Buffer[]): Allocation {
  const offsets = new Array<number>(buffers.length).fill(0);
  const blocks: Block[] = [{ offset: 0, size: Infinity, owner: -1 }];
  for (const i of byLiveStart(buffers)) {
    const cur = buffers[i]!;
    for (const b of blocks) if (b.owner >= 0 && !overlaps(buffers[b.owner]!, cur)) b.owner = -1;
    for (let k = 0; k + 1 < blocks.length; ) {
      const a = blocks[k]!;
      const b = blocks[k + 1]!;
      if (a.owner < 0 && b.owner < 0) {
        a.size += b.size;
        blocks.splice(k + 1, 1);
      } else k++;
    }
    let best = -1;
    for (let k = 0; k + 1 < blocks.length; k++) {
      const b = blocks[k]!;
      if (b.owner < 0 && b.size >= cur.size && (best < 0 || b.size > blocks[best]!.size)) best = k;
    }
    const at = best >= 0 ? best : blocks.length - 1; // the tail
    const blk = blocks[at]!;
    offsets[i] = blk.offset;
    if (blk.size > cur.size) blocks.splice(at + 1, 0, { offset: blk.offset + cur.size, size: blk.size - cur.size, owner: -1 });
    blk.size = cur.size;
    blk.owner = i;
  }
  return { name: 'FitFirstAssign', offsets, total: totalOf(buffers, offsets) };
}

/**
 * OpSizeOrderAssign: largest buffers first (ties by live start, then op order). Each looks at the
 * placed buffers live at the same time, in address order, and takes the smallest gap between them
 * (from offset 0) that is large enough — the lowest such gap on ties — else the end of the highest.
 */
export function opSizeOrderAssign(buffers: readonly Buffer[]): Allocation {
  const offsets = new Array<number>(buffers.length).fill(0);
  const order = byLiveStart(buffers);
  const rank = new Map(order.map((b, r) => [b, r]));
  order.sort((a, b) => buffers[b]!.size - buffers[a]!.size || rank.get(a)! - rank.get(b)!);
  const placed: number[] = []; // buffer indices by offset
  for (const i of order) {
    const cur = buffers[i]!;
    let prev = 0;
    let best = -1;
    let smallest = Infinity;
    for (const j of placed) {
      if (!overlaps(buffers[j]!, cur)) continue;
      const gap = offsets[j]! - prev;
      if (gap >= cur.size && gap < smallest) {
        smallest = gap;
        best = prev;
      }
      prev = Math.max(prev, offsets[j]! + buffers[j]!.size);
    }
    offsets[i] = best >= 0 ? best : prev;
    const k = placed.findIndex((j) => offsets[j]! >= offsets[i]!);
    placed.splice(k < 0 ? placed.length : k, 0, i);
  }
  return { name: 'OpSizeOrderAssign', offsets, total: totalOf(buffers, offsets) };
}

/** Every buffer at its own offset, one after another (`reuse_addr=false`). */
export function noReuseAssign(buffers: readonly Buffer[]): Allocation {
  const offsets: number[] = [];
  let end = 0;
  for (const i of byLiveStart(buffers)) {
    offsets[i] = end;
    end += buffers[i]!.size;
  }
  return { name: 'FitFirstAssign', offsets, total: end };
}

function totalOf(buffers: readonly Buffer[], offsets: readonly number[]): number {
  return buffers.reduce((m, b, i) => Math.max(m, offsets[i]! + b.size), 0);
}

/** Both strategies; the smaller total wins, FitFirstAssign on a tie (as GmemAllocator). */
export function assignBuffers(buffers: readonly Buffer[]): { chosen: Allocation; totals: Record<AllocatorName, number> } {
  const ff = fitFirstAssign(buffers);
  const os = opSizeOrderAssign(buffers);
  return { chosen: os.total < ff.total ? os : ff, totals: { FitFirstAssign: ff.total, OpSizeOrderAssign: os.total } };
}
