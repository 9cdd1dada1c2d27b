// Calibration import on a real model: the top MobileNetV2 mlir written by model_transform and a
// table written by run_calibration. Opt-in, as the files come from earlier stages:
//   TPUQ_MV2_DIR=/tmp/m TPUQ_MV2_CALI_TABLE=/tmp/c1/cali_table npx vitest run packages/chip-bm168x
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMlir, printMlir, typesEqual } from '@tpu-quant/ir';
import { calibratedOf, importCalibration, propagateCalibration, type CalibrationRow } from '../src/index.js';

const MLIR = join(process.env.TPUQ_MV2_DIR ?? '', 'mobilenet_v2.mlir');
const TABLE = process.env.TPUQ_MV2_CALI_TABLE ?? '';
const HAVE = (process.env.TPUQ_MV2_DIR ?? '') !== '' && existsSync(MLIR) && TABLE !== '' && existsSync(TABLE);
if (!HAVE) console.log('calibration.mobilenet-v2: set TPUQ_MV2_DIR and TPUQ_MV2_CALI_TABLE to run it; skipped');

/** The data lines of a TPU-MLIR calibration table (the CLI uses calib's full parser). */
function readRows(path: string): CalibrationRow[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(/\s+/))
    .filter((f) => f.length === 4)
    .map(([name, th, min, max]) => ({ name: name!, threshold: Number(th), min: Number(min), max: Number(max) }));
}

describe.skipIf(!HAVE)('MobileNetV2 top mlir + cali_table (TPUQ_MV2_DIR, TPUQ_MV2_CALI_TABLE)', () => {
  it('every row lands on a value, ranges follow the rules, and the module prints and re-parses', () => {
    const m = parseMlir(readFileSync(MLIR, 'utf8'), MLIR);
    const rows = readRows(TABLE);
    const byName = new Map(rows.map((r) => [r.name, r]));
    const res = importCalibration(m, rows);
    expect(res.unused).toEqual([]);
    expect(res.calibrated).toBeGreaterThanOrEqual(rows.length);
    for (const op of m.main.ops) {
      if (op.type === 'top.Weight' || op.type === 'top.None' || op.type === 'func.return') continue;
      const c = calibratedOf(op.result())!;
      const row = byName.get(op.name!);
      if (op.type === 'top.Softmax') {
        expect([c.min, c.max]).toEqual([0, 1]);
        continue;
      }
      expect(c.max).toBe(row!.threshold);
      const reluFused = op.attrs.get('do_relu')?.kind === 'bool' && (op.attrs.get('do_relu') as { value: boolean }).value;
      expect(c.min).toBe(reluFused || row!.min >= 0 ? 0 : -row!.threshold);
    }
    // nothing to propagate in MobileNetV2 (no Relu/MaxPool/Concat/Reshape ops: ReLU6 is fused)
    expect(propagateCalibration(m)).toBe(0);
    const text = printMlir(m);
    expect(text).toContain('module.state = "TOP_CALIBRATED"');
    const back = parseMlir(text, 'printed');
    back.main.ops.forEach((op, i) => op.results.forEach((r, k) => expect(typesEqual(r.type, m.main.ops[i]!.results[k]!.type)).toBe(true)));
  });
});
