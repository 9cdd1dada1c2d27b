// run_calibration from the command line: on the model and images the repo ships (always), and on
// the shared mobilenet_v2 with imagenet-cali images (when the shared assets are present).
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { calibrationData, parseCaliTable, selectSamples, tensorInfos } from '@tpu-quant/calib';
import { encodeNpz, ndarray } from '@tpu-quant/ir';
import { createSession } from '@tpu-quant/runtime';
import { loadMlirModule } from '../src/model-files.js';
import { asset, HAVE_ASSETS } from './assets.js';
import { expectUserError, runCli } from './run-cli.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const images = join(repo, 'examples/images');
const tmp = mkdtempSync(join(tmpdir(), 'tpuq-cali-'));
const mlir = join(tmp, 'mbv1.mlir');

beforeAll(() => {
  const r = runCli([
    'model_transform', '--model_name', 'mbv1', '--model_def', join(repo, 'examples/models/mobilenet_v1_0.25_128.qat-dequant.onnx'),
    '--input_shapes', '[[1,3,128,128]]', '--resize_dims', '146,146', '--mean', '128,128,128', '--scale', '0.0078125,0.0078125,0.0078125',
    '--pixel_format', 'rgb', '--mlir', mlir,
  ]);
  if (r.code !== 0) throw new Error(r.stderr);
}, 120_000);

describe('run_calibration on the shipped model and images', () => {
  test('writes a TPU-MLIR calibration table and the shape-op table; a second method reads the cache', () => {
    const table = join(tmp, 'cali_table');
    const r = runCli(['run_calibration', mlir, '--dataset', images, '--input_num', '12', '-o', table], undefined, 170_000);
    expect(r.stderr).not.toMatch(/error|Error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/calibration table: .*cali_table \(\d+ tensors, method kl, tuned on 5 samples\)/);
    const text = readFileSync(table, 'utf8');
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^# mlir version: tpu-quant \S+$/);
    expect(lines[1]).toBe(`# mlir: ${mlir}`);
    // Python's str(datetime) leaves the fraction out when it is zero (pyDatetime does the same)
    expect(lines[2]).toMatch(/^# genetated time: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$/);
    expect(lines.slice(3, 8)).toEqual(['# histogram number: 2048', '# sample number: 12', '# tune number: 5', '###', '# op_name    threshold    min    max']);
    const parsed = parseCaliTable(text);
    expect(parsed.rows.length).toBeGreaterThan(20);
    for (const row of parsed.rows) {
      expect(row.threshold).toBeGreaterThan(0);
      expect(row.threshold).toBeLessThanOrEqual(Math.max(Math.abs(row.min), Math.abs(row.max)) + 1e-6);
    }
    expect(existsSync(join(tmp, 'mbv1_shape_ops'))).toBe(true);
    expect(readFileSync(join(tmp, 'mbv1_shape_ops'), 'utf8')).toMatch(/# chip: bm1684x {2}mix_mode: F16\n# number of F16 layer: 0\n###\n/);
    expect(existsSync(join(tmp, 'qtable'))).toBe(false); // a plain CNN matches no pattern (spec §10.2)

    const mse = runCli(['run_calibration', mlir, '--dataset', images, '--input_num', '12', '--cali_method', 'use_mse', '-o', join(tmp, 'mse_table')], undefined, 170_000);
    expect(mse.code).toBe(0);
    expect(mse.stdout).toContain('(statistics from cache)');
    const mseRows = parseCaliTable(readFileSync(join(tmp, 'mse_table'), 'utf8')).rows;
    expect(mseRows.map((x) => x.name)).toEqual(parsed.rows.map((x) => x.name));
    expect(mseRows.some((m, i) => m.threshold !== parsed.rows[i]!.threshold)).toBe(true);
  }, 180_000);

  test('--part_quantize: a pattern qtable keeping every op but Conv/MatMul (+ listed types) float', async () => {
    const dir = join(tmp, 'part');
    mkdirSync(dir, { recursive: true });
    const r = runCli(['run_calibration', mlir, '--dataset', images, '--input_num', '4', '--tune_num', '0', '--part_quantize', 'AvgPool', '--processor', 'bm1684', '-o', join(dir, 'table')], undefined, 170_000);
    expect(r.code).toBe(0);
    const module = await loadMlirModule(mlir);
    const kept = new Set(['top.Conv', 'top.MatMul', 'top.AvgPool', 'top.Weight', 'top.None', 'func.return']);
    const want = module.main.ops.filter((op) => !kept.has(op.type)).map((op) => op.name);
    expect(want[0]).toBe(module.main.ops.find((op) => op.type === 'top.Input')!.name); // inputs are listed too
    expect(want.length).toBeGreaterThan(1);
    expect(r.stdout).toContain(`pattern qtable (part_quantize): ${want.length} F32 ops -> ${join(dir, 'qtable')}`);
    const lines = readFileSync(join(dir, 'qtable'), 'utf8').split('\n');
    expect(lines.slice(1, 6)).toEqual(['# chip: bm1684  mix_mode: F32', `# number of F32 layer: ${want.length}`, '# part_quantize ', '###', '# op_name   quantize_mode']);
    expect(lines.slice(6, -1)).toEqual(want.map((n) => `${n} F32`));
  }, 180_000);

  test('use_max thresholds are the largest |x| of every tensor over the samples', async () => {
    const dir = join(tmp, 'max');
    mkdirSync(dir, { recursive: true });
    const table = join(dir, 'max_table');
    const r = runCli(['run_calibration', mlir, '--dataset', images, '--input_num', '4', '--cali_method', 'use_max', '--no_cache', '--backend', 'js', '-o', table], undefined, 170_000);
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, '.tpu-quant-cache'))).toBe(false);
    const rows = new Map(parseCaliTable(readFileSync(table, 'utf8')).rows.map((x) => [x.name, x]));
    // independently: the same 4 samples through the js reference executor, absmax per tensor
    const module = await loadMlirModule(mlir);
    const list = await selectSamples({ dataset: images, inputNum: 4 });
    const absmax = new Map<string, number>();
    const session = await createSession(module, { backend: 'js' });
    for await (const s of calibrationData(list, module).samples()) {
      const { tensors } = await session.run(s, { capture: 'all' });
      for (const [name, t] of tensors) {
        let m = absmax.get(name) ?? 0;
        for (const v of t.data as Float32Array) m = Math.max(m, Math.abs(v));
        absmax.set(name, m);
      }
    }
    await session.dispose();
    const names = tensorInfos(module).map((i) => i.name);
    expect(names.length).toBe(rows.size);
    for (const name of names) {
      const want = Math.max(absmax.get(name)!, 1e-5);
      // same executor (js) on both sides: equal up to the table's 7 decimals
      expect(Math.abs(rows.get(name)!.threshold - want), name).toBeLessThanOrEqual(5.1e-8 + want * 1e-7);
    }
  }, 180_000);

  test('bad input: clear one-line errors', () => {
    const empty = join(tmp, 'empty');
    mkdirSync(empty, { recursive: true });
    expectUserError(runCli(['run_calibration', mlir, '--dataset', empty, '-o', join(tmp, 't1')]), 'E_DATA');
    expectUserError(runCli(['run_calibration', mlir, '--dataset', images, '--cali_method', 'use_entropy', '-o', join(tmp, 't2')]), 'E_BAD_METHOD');
    expectUserError(runCli(['run_calibration', mlir, '--dataset', images, '--search', 'search_qtable', '-o', join(tmp, 't3')]), 'E_BAD_FLAG'); // needs --quantize_table
    expectUserError(runCli(['run_calibration', mlir, '--dataset', images, '--bc', '--chip', 'cv183x', '-o', join(tmp, 't3')]), 'E_NOT_AVAILABLE'); // nothing lowers to cv183x
    expectUserError(runCli(['run_calibration', mlir, '-o', join(tmp, 't4')]), 'E_NO_DATA');
    expectUserError(runCli(['run_calibration', mlir, '--dataset', images, '--part_quantize', 'custom_mode', '-o', join(tmp, 't4')]), 'E_BAD_FLAG');
    expectUserError(runCli(['run_calibration', mlir, '--dataset', images, '-o', mlir]), 'E_SAME_FILE');
    // an image that is not one
    const broken = join(tmp, 'broken');
    mkdirSync(broken, { recursive: true });
    copyFileSync(join(images, 'skimage/chelsea.png'), join(broken, 'a.png'));
    writeFileSync(join(broken, 'b.jpg'), 'not a jpeg');
    const bad = runCli(['run_calibration', mlir, '--dataset', broken, '--tune_num', '0', '-o', join(tmp, 't5')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error\[\w+\]: .*b\.jpg/m);
    expect(bad.stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(join(tmp, 't5'))).toBe(false);
    // npz samples with the wrong input name
    const npzDir = join(tmp, 'npz');
    mkdirSync(npzDir, { recursive: true });
    writeFileSync(join(npzDir, 'x.npz'), encodeNpz(new Map([['a', ndarray('f32', [1, 3, 128, 128])], ['b', ndarray('f32', [1, 3, 128, 128])]])));
    const npz = runCli(['run_calibration', mlir, '--dataset', npzDir, '-o', join(tmp, 't6')]);
    expect(npz.code).toBe(2);
    expect(npz.stderr).toMatch(/x\.npz/);
    expect(existsSync(join(tmp, 't6'))).toBe(false);
  }, 180_000);
});

describe('run_calibration: tune list, cache folder, failing setup', () => {
  test('--tune_list takes its first --tune_num lines (spec §1.2); the header says so', () => {
    const dir = join(tmp, 'tunelist');
    mkdirSync(dir, { recursive: true });
    const files = ['skimage/chelsea.png', 'skimage/coffee.png', 'skimage/astronaut.png'].map((f) => join(images, f)).filter((f) => existsSync(f));
    expect(files.length).toBeGreaterThanOrEqual(2);
    writeFileSync(join(dir, 'list.txt'), `${files.join('\n')}\n`);
    writeFileSync(join(dir, 'tune.txt'), `${[...files, ...files].join('\n')}\n`);
    const table = join(dir, 'table');
    const r = runCli(['run_calibration', mlir, '--data_list', join(dir, 'list.txt'), '--tune_list', join(dir, 'tune.txt'), '--tune_num', '2', '--no_cache', '-o', table], undefined, 170_000);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(table, 'utf8')).toContain(`# sample number: ${files.length}\n# tune number: 2\n###\n`);
  }, 180_000);

  test('use_percentile9999 in --debug_cmd turns tuning off even when another method wins (spec §4.10)', () => {
    const table = join(tmp, 'pct_torch');
    const r = runCli(['run_calibration', mlir, '--dataset', images, '--input_num', '2', '--no_cache', '--debug_cmd', 'use_torch_observer_for_cali;use_percentile9999', '-o', table], undefined, 170_000);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(table, 'utf8');
    expect(text).toContain('# sample number: 2\n###\n');
    expect(text).not.toContain('# tune number');
  }, 180_000);

  test('a cache folder that cannot be made is a warning, not a failure', () => {
    const dir = join(tmp, 'nocachedir');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, '.tpu-quant-cache'), 'a file in the way');
    const table = join(dir, 'table');
    const r = runCli(['run_calibration', mlir, '--dataset', images, '--input_num', '2', '--tune_num', '0', '-o', table], undefined, 170_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/WARNING: could not save the statistics cache/);
    expect(existsSync(table)).toBe(true);
  }, 180_000);

  test('a session that cannot start is a user error and the process exits (no statistics thread left)', () => {
    const table = join(tmp, 'threads0');
    const r = runCli(['run_calibration', mlir, '--dataset', images, '--input_num', '2', '--no_cache', '--threads', '0', '-o', table], undefined, 40_000);
    expectUserError(r, 'E_THREADS');
    expect(existsSync(table)).toBe(false);
  }, 60_000);
});

describe.skipIf(!HAVE_ASSETS)('run_calibration on the shared mobilenet_v2 with imagenet-cali', () => {
  test('KLD table for every tensor, thresholds within the observed range', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tpuq-cali-mv2-'));
    const m = join(dir, 'mobilenet_v2.mlir');
    const t = runCli([
      'model_transform', '--model_name', 'mobilenet_v2', '--model_def', asset('models/imagenet/mobilenet_v2_1.0_224.tf2ptq-dequant.onnx'),
      '--input_shapes', '[[1,3,224,224]]', '--resize_dims', '256,256', '--mean', '127,127,127',
      '--scale', '0.007843137718737125,0.007843137718737125,0.007843137718737125', '--pixel_format', 'rgb', '--mlir', m,
    ], undefined, 120_000);
    expect(t.code).toBe(0);
    const table = join(dir, 'mobilenet_v2_cali_table');
    const r = runCli(['run_calibration', m, '--dataset', asset('images/imagenet-cali'), '--input_num', '20', '--tune_num', '2', '-o', table], undefined, 280_000);
    expect(r.code).toBe(0);
    const rows = parseCaliTable(readFileSync(table, 'utf8')).rows;
    expect(rows.length).toBeGreaterThan(60);
    const clipped = rows.filter((x) => x.threshold < 0.999 * Math.max(Math.abs(x.min), Math.abs(x.max)));
    // KLD clips long-tailed activations: most convolution outputs get a threshold below their absmax
    expect(clipped.length).toBeGreaterThan(rows.length / 3);
  }, 300_000);
});
