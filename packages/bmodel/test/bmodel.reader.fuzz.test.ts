// Random truncations, bit flips and word overwrites of valid files: readBmodel either returns a
// model or throws UserError E_BMODEL — never another exception — in bounded time, and what it
// returns is bounded by the file's size.
import { describe, expect, it } from 'vitest';
import { isUserError } from '@tpu-quant/ir';
import { readBmodel, writeBmodel, type BmodelModel } from '@tpu-quant/bmodel';
import { fullModel, programModel } from './sample-model.js';

/** mulberry32: a small seeded PRNG, so every failure reproduces. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Elements materialized in a model: tensors, dims, string characters, list entries. */
function weight(m: BmodelModel): number {
  let n = m.type.length + m.version.length + m.time.length + m.chip.length;
  const tensors = (ts: BmodelModel['nets'][0]['stages'][0]['inputs']) =>
    ts.reduce((s, t) => s + 4 + t.name.length + t.shapes.reduce((a, d) => a + 1 + d.length, 0), 0);
  for (const net of m.nets) {
    n += 4 + net.name.length;
    for (const st of net.stages) {
      n += 4 + tensors(st.inputs) + tensors(st.outputs) + st.ctxSizes.length + st.cmdGroups.length;
      n += (st.coeff?.locations.length ?? 0) + (st.program ? st.program.mlir.length : 0);
      for (const sn of st.subNets) n += 4 + tensors(sn.inputs) + tensors(sn.outputs) + sn.cpuParams.length + sn.nextSubnetIds.length;
    }
  }
  return n;
}

interface Tally { accepted: number; rejected: number; slowestMs: number }

function attempt(bytes: Uint8Array, tally: Tally, label: string): void {
  const t0 = performance.now();
  try {
    const m = readBmodel(bytes);
    tally.accepted++;
    expect(weight(m), label).toBeLessThanOrEqual(4 * bytes.length);
  } catch (e) {
    if (!(isUserError(e) && e.code === 'E_BMODEL')) {
      throw new Error(`${label}: ${e instanceof Error ? e.stack : String(e)}`);
    }
    expect(e.message, label).not.toMatch(/undefined|NaN/);
    tally.rejected++;
  }
  tally.slowestMs = Math.max(tally.slowestMs, performance.now() - t0);
}

const bases = [
  ['program', writeBmodel(programModel(64))],
  ['full', writeBmodel(fullModel())],
] as const;

describe.each(bases)('fuzzing the reader with a valid %s model', (name, base) => {
  const fbEnd = 64 + new DataView(base.buffer).getUint32(8, true);

  it('rejects every truncation', () => {
    const rnd = prng(1);
    const tally: Tally = { accepted: 0, rejected: 0, slowestMs: 0 };
    for (let i = 0; i < 800; i++) {
      const len = Math.floor(rnd() * base.length);
      attempt(base.subarray(0, len), tally, `${name} truncated to ${len}`);
    }
    expect(tally.accepted).toBe(0);
    expect(tally.slowestMs).toBeLessThan(250);
  });

  it('survives bit flips (anywhere, and inside the flatbuffer)', () => {
    const rnd = prng(2);
    const tally: Tally = { accepted: 0, rejected: 0, slowestMs: 0 };
    for (let i = 0; i < 1500; i++) {
      const b = base.slice();
      const flips = 1 + Math.floor(rnd() * 4);
      const inFlatbuffer = i % 2 === 0;
      const at: number[] = [];
      for (let f = 0; f < flips; f++) {
        const pos = inFlatbuffer ? 64 + Math.floor(rnd() * (fbEnd - 64)) : Math.floor(rnd() * b.length);
        b[pos] ^= 1 << Math.floor(rnd() * 8);
        at.push(pos);
      }
      attempt(b, tally, `${name} seed 2 case ${i}: flips at ${at.join(',')}`);
    }
    // Both outcomes occur: flips in scales or addresses read as other values, in offsets fail.
    expect(tally.accepted).toBeGreaterThan(0);
    expect(tally.rejected).toBeGreaterThan(0);
    expect(tally.slowestMs).toBeLessThan(250);
  });

  it('survives random 32-bit words written over the flatbuffer', () => {
    const rnd = prng(3);
    const tally: Tally = { accepted: 0, rejected: 0, slowestMs: 0 };
    for (let i = 0; i < 1000; i++) {
      const b = base.slice();
      const pos = 64 + 4 * Math.floor(rnd() * ((fbEnd - 68) / 4));
      const word = [0, 0xffffffff, 0x7fffffff, 0x80000000, 4, 8, Math.floor(rnd() * 2 ** 32)][i % 7];
      new DataView(b.buffer).setUint32(pos, word, true);
      attempt(b, tally, `${name} seed 3 case ${i}: word 0x${word.toString(16)} at ${pos}`);
    }
    expect(tally.rejected).toBeGreaterThan(0);
    expect(tally.slowestMs).toBeLessThan(250);
  });
});
