// GmemAllocator's strategies on hand-checked buffer sets (spec deploy.md §6.1 step 5): reuse after
// a live range ends, splitting a free block, the largest free block over the first one, the tail
// when nothing fits, the smallest gap, and the tie rules.
import { describe, expect, it } from 'vitest';
import { assignBuffers, fitFirstAssign, opSizeOrderAssign, type LiveBuffer } from '../src/index.js';

const buf = (start: number, end: number, size: number): LiveBuffer => ({ start, end, size });

describe('FitFirstAssign', () => {
  it('reuses a block freed before the start and splits it; a free block under the tail merges into it', () => {
    // A [0,2) 4 @0; B [1,3) 2 @4; C [2,5) 1: A is over, C takes A's block and splits it -> @0, free [1,4);
    // D [3,6) 3: B is over, free [1,4)+[4,6) merge into the tail, which starts at 1.
    const a = fitFirstAssign([buf(0, 2, 4), buf(1, 3, 2), buf(2, 5, 1), buf(3, 6, 3)]);
    expect(a.offsets).toEqual([0, 4, 0, 1]);
    expect(a.total).toBe(6);
  });

  it('takes the largest free block that fits, the first of equal ones, and the tail when none fits', () => {
    const a = fitFirstAssign([
      buf(0, 2, 2), // P @0
      buf(0, 9, 1), // Q @2
      buf(0, 2, 3), // R @3
      buf(0, 9, 1), // S @6, tail at 7
      buf(2, 4, 1), // T: P, R over -> free [0,2) and [3,6); the larger -> @3 (first fit would say 0)
      buf(2, 4, 2), // U: free [0,2) and [4,6), both size 2 -> the first, @0
      buf(4, 5, 2), // V: T, U over -> free [0,2), [3,6) -> the larger, @3
      buf(4, 5, 5), // W: free [0,2), [5,6) are too small -> tail, @7
    ]);
    expect(a.offsets).toEqual([0, 2, 3, 6, 3, 0, 3, 7]);
    expect(a.total).toBe(12);
  });

  it('processes buffers by live start whatever the input order', () => {
    const a = fitFirstAssign([buf(2, 5, 1), buf(0, 2, 4)]);
    expect(a.offsets).toEqual([0, 0]);
  });
});

describe('OpSizeOrderAssign', () => {
  it('places large buffers first and takes the smallest gap between live ones', () => {
    const a = opSizeOrderAssign([
      buf(0, 2, 5), // big1 @0
      buf(0, 10, 4), // big2 @5
      buf(0, 2, 3), // big3 @9
      buf(0, 10, 2), // big4 @12
      buf(5, 8, 2), // s: live with big2, big4 only: gaps [0,5) (5) and [9,12) (3) -> the smaller, @9
      buf(5, 8, 2), // t: same size, later: gaps [0,5) and [11,12) (too small) -> @0
    ]);
    expect(a.offsets).toEqual([0, 5, 9, 12, 9, 0]);
    expect(a.total).toBe(14);
  });

  it('reuses the space of a buffer not live at the same time', () => {
    const a = opSizeOrderAssign([buf(0, 3, 4), buf(0, 1, 2), buf(1, 3, 1), buf(2, 4, 3)]);
    // A @0; D (3) live with A -> @4; B (2): live with A only -> @4; C (1): live with A and D -> @7.
    expect(a.offsets).toEqual([0, 4, 7, 4]);
    expect(a.total).toBe(8);
  });
});

describe('choosing a strategy', () => {
  it('keeps the smaller total', () => {
    const bufs = [buf(0, 2, 5), buf(0, 10, 4), buf(0, 2, 3), buf(0, 10, 2), buf(5, 8, 2), buf(5, 8, 2)];
    const { chosen, totals } = assignBuffers(bufs);
    expect(totals).toEqual({ FitFirstAssign: fitFirstAssign(bufs).total, OpSizeOrderAssign: 14 });
    expect(chosen.total).toBe(Math.min(totals.FitFirstAssign, totals.OpSizeOrderAssign));
    expect(chosen.name).toBe(totals.OpSizeOrderAssign < totals.FitFirstAssign ? 'OpSizeOrderAssign' : 'FitFirstAssign');
  });

  it('FitFirstAssign on a tie, and each can win', () => {
    expect(assignBuffers([buf(0, 1, 1), buf(1, 2, 1)]).chosen.name).toBe('FitFirstAssign');
    // FitFirst sees A [0,2) 1, B [0,3) 2, C [2,4) 2: C cannot use A's 1 -> tail @3, total 5;
    // OpSizeOrder puts B, C first (B @0, C @2), then A @2 (C not live with A): total 4.
    const r = assignBuffers([buf(0, 2, 1), buf(0, 3, 2), buf(2, 4, 2)]);
    expect(r.totals).toEqual({ FitFirstAssign: 5, OpSizeOrderAssign: 4 });
    expect(r.chosen.name).toBe('OpSizeOrderAssign');
  });
});
