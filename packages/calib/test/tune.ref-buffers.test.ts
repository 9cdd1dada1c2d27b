// The tuner's recycled reference memory: only arrays the session wrote into as offered are
// reused, and an output that shares an owned buffer (a view of its input) pins it for good.
import { describe, expect, it } from 'vitest';
import { RefBuffers } from '../src/tune/ref-buffers.js';

describe('RefBuffers', () => {
  it('reuses an array the session filled as offered, once it is given back', () => {
    const b = new RefBuffers();
    const a = b.take(8);
    b.settle(a, a);
    b.give(a);
    expect(b.take(8)).toBe(a);
    expect(b.take(8)).not.toBe(a); // handed out once
  });

  it('never reuses arrays it did not make, or an offered array the result did not land in', () => {
    const b = new RefBuffers();
    const user = new Float32Array(8);
    b.give(user);
    expect(b.take(8)).not.toBe(user);
    const offered = b.take(8);
    const elsewhere = new Float32Array(8);
    b.settle(offered, elsewhere);
    b.give(elsewhere);
    b.give(offered);
    const next = b.take(8);
    expect(next).not.toBe(offered);
    expect(next).not.toBe(elsewhere);
  });

  it('pins a buffer that a later output views (a Reshape of it)', () => {
    const b = new RefBuffers();
    const a = b.take(8);
    b.settle(a, a);
    const view = new Float32Array(a.buffer, 0, 8); // the reshape's result: the same memory
    b.settle(b.take(8), view);
    b.give(a);
    b.give(view);
    expect(b.take(8)).not.toBe(a);
  });

  it('keeps arrays by length', () => {
    const b = new RefBuffers();
    const a = b.take(4);
    b.settle(a, a);
    b.give(a);
    expect(b.take(5)).not.toBe(a);
    expect(b.take(4)).toBe(a);
  });
});
