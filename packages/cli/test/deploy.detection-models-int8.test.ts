// INT8 deploys of the shared detection / OCR models for bm1684x (yolox_nano, FastestDet, UltraFace,
// PP-OCRv4 det): the top mlir from model_transform + a table from run_calibration, lowered with
// convert-top-to-tpu and run on the js runtime. Opt-in, as the files come from earlier stages:
//   TPUQ_SHARED_OUT=/tmp/shared-out TPUQ_DET_CALI_DIR=/tmp/h2 npx vitest run packages/cli/test/deploy.detection-models-int8.test.ts
// TPUQ_SHARED_OUT holds NAME.mlir, NAME_top_f32_all_weight.npz, NAME_in_f32.npz and
// NAME_top_outputs.npz (tools/scripts/transform-shared-models.sh); TPUQ_DET_CALI_DIR holds
// NAME_cali_table. A model whose files are missing is skipped.
//
// Checked for each model: every op is lowered (nothing stays a top op but PP-OCRv4's BatchNorm
// after a Deconv; Softmax is a float tpu op), and for the three detectors the INT8 outputs are the
// quantized model the table defines: a float run with every calibrated tensor and Conv filter
// fake-quantized the same way is as close to the float reference (cosine within 0.01) and close
// to the INT8 result. PP-OCRv4 det is checked against the float reference instead (cosine ≥ 0.9;
// its scalar Mul/Add blocks carry TPU-MLIR's 8-bit multiplier and constant-code rounding, which a
// fake-quantized run does not model), when its reference output has text in it. Then model_deploy's
// own verification, which passes for UltraFace (yolox_nano, FastestDet and PP-OCRv4 det do not reach
// INT8's default 0.90,0.80 with KLD tables: see packages/chip-bm168x/README.md).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNpz, parseMlir, runPipeline, type Module, type NdArray } from '@tpu-quant/ir';
import { createSession, fakeQuantize } from '@tpu-quant/runtime';
import { parseCaliTable } from '@tpu-quant/calib';
import { calibratedOf, importCalibration, propagateCalibration, quantizeConvBM1684X, uniformTypeFor } from '@tpu-quant/chip-bm168x';
import { runCli } from './run-cli.js';

const DIR = process.env.TPUQ_SHARED_OUT ?? '';
const CALI = process.env.TPUQ_DET_CALI_DIR ?? '';
const files = (name: string) => ({
  mlir: join(DIR, `${name}.mlir`),
  weights: join(DIR, `${name}_top_f32_all_weight.npz`),
  input: join(DIR, `${name}_in_f32.npz`),
  ref: join(DIR, `${name}_top_outputs.npz`),
  table: join(CALI, `${name}_cali_table`),
});
const have = (name: string): boolean => DIR !== '' && CALI !== '' && Object.values(files(name)).every((f) => existsSync(f));
const MODELS = [
  { name: 'yolox_nano', verifies: false, fakeQuant: true, float: [] },
  { name: 'fastestdet', verifies: false, fakeQuant: true, float: [] },
  { name: 'ultraface', verifies: true, fakeQuant: true, float: [] },
  // The BatchNorm after a Deconv: a top.Scale since model_transform canonicalizes as TPU-MLIR.
  { name: 'ppocrv4_det', verifies: false, fakeQuant: false, float: ['top.BatchNorm', 'top.Scale'] },
] as const;
if (!MODELS.some((m) => have(m.name))) console.log('deploy.detection-models-int8: set TPUQ_SHARED_OUT and TPUQ_DET_CALI_DIR to run it; skipped');

async function load(name: string): Promise<Module> {
  const f = files(name);
  const m = parseMlir(readFileSync(f.mlir, 'utf8'), f.mlir);
  m.weights = await loadNpz(f.weights);
  return m;
}

async function calibrated(name: string): Promise<Module> {
  const m = await load(name);
  importCalibration(m, parseCaliTable(readFileSync(files(name).table, 'utf8')).rows, { processor: 'bm1684x' });
  propagateCalibration(m, { processor: 'bm1684x' });
  return m;
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += a[i]! * b[i]!; aa += a[i]! ** 2; bb += b[i]! ** 2; }
  return ab / Math.sqrt(aa * bb);
}

/** The float model run with every calibrated tensor and Conv filter rounded to its int8 grid. */
async function fakeQuantRun(name: string, inputs: Map<string, NdArray>): Promise<Map<string, NdArray>> {
  const cal = await calibrated(name);
  const grid = new Map<string, { scale: number; lo: number; hi: number }>();
  for (const op of cal.main.ops) for (const v of op.results) {
    const c = calibratedOf(v);
    if (!c || !v.name) continue;
    const u = uniformTypeFor(c, false);
    const signed = u.storage.signedness !== 'unsigned';
    grid.set(v.name, { scale: u.scales[0]!, lo: signed ? -128 : 0, hi: signed ? 127 : 255 });
  }
  const top = await load(name);
  const s = await createSession(top, { backend: 'wasm' });
  for (const [n, g] of grid) s.setOverride(n, (a) => fakeQuantize(a, g.scale, 0, g.lo, g.hi));
  for (const op of top.main.ops) {
    if (op.type !== 'top.Conv') continue;
    const [inQ, outQ] = [grid.get(op.operand(0).name ?? ''), grid.get(op.result().name ?? '')];
    const w = top.weights.get(op.operand(1).name ?? '');
    if (!inQ || !outQ || !w) continue;
    const q = quantizeConvBM1684X({ filter: w.data as Float32Array, oc: w.shape[0]!, inScale: inQ.scale, outScale: outQ.scale });
    const [lo, hi] = q.filterSigned ? [-128, 127] : [0, 255];
    s.setOverride(op.operand(1).name!, (a) => fakeQuantize(a, q.weightScales, 0, lo, hi, 0));
  }
  try {
    return (await s.run(inputs, {})).outputs;
  } finally {
    await s.dispose();
  }
}

describe('INT8 deploys of the detection / OCR models (TPUQ_SHARED_OUT, TPUQ_DET_CALI_DIR)', () => {
  for (const { name, verifies, fakeQuant, float } of MODELS) {
    it.skipIf(!have(name))(`${name}: every op lowered; INT8 close to ${fakeQuant ? "the table's quantized model" : 'float'}${verifies ? '; verification passes' : ''}`, async () => {
      const m = await calibrated(name);
      await runPipeline(m, 'convert-top-to-tpu{chip=bm1684x mode=INT8}');
      const left = m.main.ops.map((o) => o.type).filter((t) => t.startsWith('top.') && !['top.Weight', 'top.None', 'top.Input'].includes(t));
      expect(left.filter((t) => !(float as readonly string[]).includes(t))).toEqual([]);
      expect(m.main.ops.filter((o) => o.type === 'tpu.Softmax' || o.type === 'tpu.Active').every((o) => o.type === 'tpu.Softmax')).toBe(true);

      const inputs = await loadNpz(files(name).input);
      const ref = await loadNpz(files(name).ref);
      const s = await createSession(m, { backend: 'js' });
      const got = (await s.run(inputs, {})).outputs;
      await s.dispose();
      if (!fakeQuant) {
        for (const [k, y] of got) {
          const out = k.endsWith('_f32') && ref.has(k.slice(0, -4)) ? k.slice(0, -4) : k;
          const rd = ref.get(out)!.data as Float32Array;
          if (Math.max(...rd.subarray(0, Math.min(rd.length, 1 << 20))) < 0.5) {
            console.log(`${name}: the reference ${out} holds no detection (max < 0.5); its cosine is noise, not checked`);
            continue;
          }
          expect(cosine(y.data as Float32Array, rd)).toBeGreaterThan(0.9);
        }
        return;
      }
      const fq = await fakeQuantRun(name, inputs);
      for (const [out, x] of fq) {
        const y = (got.get(`${out}_f32`) ?? got.get(out))!.data as Float32Array;
        const r = ref.get(out)!.data as Float32Array;
        const [int8Cos, fqCos] = [cosine(y, r), cosine(x.data as Float32Array, r)];
        expect(Math.abs(int8Cos - fqCos), `${out}: INT8 cosine ${int8Cos}, fake-quant cosine ${fqCos}`).toBeLessThan(0.01);
        expect(cosine(y, x.data as Float32Array)).toBeGreaterThan(0.95);
      }

      if (!verifies) return;
      const f = files(name);
      const out = mkdtempSync(join(tmpdir(), 'tpuq-det-'));
      try {
        const r = runCli(['model_deploy', '--mlir', f.mlir, '--quantize', 'INT8', '--processor', 'bm1684x', '--calibration_table', f.table,
          '--test_input', f.input, '--test_reference', f.ref, '--model', join(out, `${name}.bmodel`)], undefined, 600_000);
        expect(r.stdout).toContain('npz compare PASSED.');
        expect(r.code).toBe(0);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    }, 900_000);
  }
});
