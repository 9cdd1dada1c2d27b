// Spot-checks against the spec's chip tables: deploy.md §6.4 (parameters), §3.8 and
// calibration.md §6.2 (float type for mixing), §9 (families), §3.13 (asymmetric).
import { describe, expect, it } from 'vitest';
import { getTarget, listTargets, lmemBankBytes } from '../../src/targets/index.js';

const KiB = 1024;

// name, lanes (NPU_NUM), EU bytes, LMEM per lane, banks, global alignment, float for mixing,
// allowed explicit float types, family, container
const TABLE = [
  ['bm1684', 64, 128, 512 * KiB, 8, 0x1000, 'F32', ['F32'], 'bm1684', 'bmodel'],
  ['bm1684x', 64, 64, 256 * KiB, 16, 0x1000, 'F16', ['F16', 'F32'], 'bm1684x', 'bmodel'],
  ['bm1688', 32, 16, 128 * KiB, 16, 0x1000, 'F16', ['F16', 'F32'], 'bm1684x', 'bmodel'],
  ['cv186x', 32, 16, 128 * KiB, 16, 0x1000, 'F16', ['F16', 'F32'], 'bm1684x', 'bmodel'],
  ['bm1690', 64, 64, 256 * KiB, 16, 0x1000, 'F16', [], 'bm1684x', 'bmodel'],
  ['cv183x', 32, 16, 32 * KiB, 8, 16, 'BF16', ['BF16'], 'cv18xx', 'cvimodel'],
  ['cv182x', 8, 16, 32 * KiB, undefined, 16, 'BF16', ['BF16'], 'cv18xx', 'cvimodel'],
  ['cv181x', 8, 16, 32 * KiB, undefined, 16, 'BF16', ['BF16'], 'cv18xx', 'cvimodel'],
  ['cv180x', 2, 16, 32 * KiB, undefined, 16, 'BF16', ['BF16'], 'cv18xx', 'cvimodel'],
] as const;

describe('built-in processor data', () => {
  it('lists the processors of the spec table, in its order', () => {
    expect(listTargets().map((t) => t.name)).toEqual(['bm1684', 'bm1684x', 'bm1688', 'bm1690', 'cv186x', 'cv183x', 'cv182x', 'cv181x', 'cv180x']);
  });

  it.each(TABLE)('%s matches §6.4 / §3.8', (name, lanes, eu, lmem, banks, align, fp, mix, family, container) => {
    const t = getTarget(name);
    expect(t.lanes).toBe(lanes);
    expect(t.euBytes).toBe(eu);
    expect(t.localMemBytes).toBe(lmem);
    expect(t.lmemBanks).toBe(banks);
    expect(t.globalAlignment).toBe(align);
    expect(t.floatForMix).toBe(fp);
    expect(t.mixFloatTypes).toEqual(mix);
    expect(t.family).toBe(family);
    expect(t.container).toBe(container);
    // The float type used for mixing is always one the chip can lower.
    expect(t.quantModes).toContain(fp);
  });

  it('gives the quantize modes per family', () => {
    expect(getTarget('bm1684').quantModes).toEqual(['F32', 'INT8']);
    for (const n of ['bm1684x', 'bm1688', 'cv186x', 'bm1690']) {
      expect(getTarget(n).quantModes).toEqual(['F32', 'F16', 'BF16', 'INT8', 'INT4']);
    }
    for (const n of ['cv183x', 'cv182x', 'cv181x', 'cv180x']) {
      const t = getTarget(n);
      expect(t.quantModes).toEqual(['BF16', 'INT8']);
      expect(t.floatRemap).toEqual({ F32: 'BF16', F16: 'BF16' });
    }
  });

  it('gives cores, asymmetric support and the 4N int8 layout', () => {
    expect(listTargets().map((t) => [t.name, t.cores])).toEqual([
      ['bm1684', 1], ['bm1684x', 1], ['bm1688', 2], ['bm1690', 8], ['cv186x', 2],
      ['cv183x', 1], ['cv182x', 1], ['cv181x', 1], ['cv180x', 1],
    ]);
    expect(listTargets().filter((t) => t.asymmetric).map((t) => t.name)).toEqual(['bm1684x', 'bm1688', 'bm1690', 'cv186x']);
    expect(listTargets().filter((t) => t.int8Layout === '4N').map((t) => t.name)).toEqual(['bm1684']);
  });

  it('gives the global memory plan of §6.4', () => {
    expect(getTarget('bm1684').gmem).toEqual({ start: 0x1_0000_0000, coeffStart: 0x1_0000_0000 + 0x5000000 + 0x100000 });
    expect(getTarget('bm1684').dmaAlignment).toBe(512);
    const x = getTarget('bm1684x');
    expect(x.gmem).toEqual({ start: 0x1_0000_0000, coeffStart: 0x1_0000_0000, ctxStart: 0x1_0000_0000, l2sram: { start: 0x10000000, size: 0x1fb000 } });
    expect([x.dmaAlignment, x.icParallel]).toEqual([512, 64]);
    const b88 = getTarget('bm1688');
    expect(b88.gmem.start).toBe(2 ** 39);
    expect(b88.gmem.tags).toEqual({ weight: 2 ** 36, activation: 2 ** 37, io: [3, 4, 5, 6, 7].map((k) => k * 2 ** 36) });
    expect(b88.icParallel).toBe(32);
    expect(getTarget('cv186x').gmem).toEqual(b88.gmem);
    const b90 = getTarget('bm1690');
    expect(b90.gmem.start).toBe(0);
    expect(b90.gmem.tags).toEqual({ weight: 2 ** 40, activation: 2 ** 41 });
    expect(b90.gmem.l2sram).toEqual({ start: 0x6980000000 + 30 * 2 ** 40, size: 128 * 1024 * 1024 });
    expect(b90.gmem.l2sram!.start.toString(16)).toBe('1e6980000000');
    expect(b90.dmaAlignment).toBe(256);
    for (const n of ['cv183x', 'cv182x', 'cv181x', 'cv180x']) {
      expect(getTarget(n).gmem).toEqual({
        start: 0x1_0000_0000,
        tags: { weight: 2 ** 40, private: 2 ** 41, io: [3, 4, 5, 6, 7].map((k) => k * 2 ** 40) },
      });
    }
    for (const t of listTargets()) {
      const g = t.gmem;
      for (const a of [g.start, g.coeffStart, g.ctxStart, g.l2sram?.start, g.tags?.weight, ...(g.tags?.io ?? [])]) {
        if (a !== undefined) expect(Number.isSafeInteger(a)).toBe(true);
      }
    }
  });

  it('gives CV18xx VPSS alignment where the spec does', () => {
    expect(getTarget('cv183x').vpssAlign).toEqual({ width: 32, channel: 4096 });
    expect(getTarget('cv181x').vpssAlign).toEqual({ width: 64 });
    expect(getTarget('cv182x').vpssAlign).toBeUndefined();
  });

  it('derives LMEM bank size', () => {
    expect(lmemBankBytes(getTarget('bm1684x'))).toBe(16 * KiB);
    expect(lmemBankBytes(getTarget('cv183x'))).toBe(4 * KiB); // "8 (×4 KiB)"
    expect(lmemBankBytes(getTarget('cv180x'))).toBeUndefined();
  });

  it('is frozen data', () => {
    const t = getTarget('bm1684x');
    expect(Object.isFrozen(t)).toBe(true);
    expect(Object.isFrozen(t.quantModes)).toBe(true);
    expect(Object.isFrozen(t.gmem.l2sram)).toBe(true);
  });
});
