// INT8 (or F16/BF16) accuracy of a deployed mobilenet_v2-style classifier against its float model
// on ../shared/assets/images/imagenet-val: top-1 vs the labels (tf-slim 1001 classes) for both,
// and the logits' cosine. The numbers issue #6's accuracy bars ask for.
//   npx tsx --conditions=@tpu-quant/source tools/scripts/src/deploy-accuracy.ts \
//     --mlir m/mobilenet_v2.mlir --table m/cali_table [--mode INT8] [--asymmetric] [--chip bm1684x] [--qtable q] [--from 0 --to 100]
//     [--float_mlir m/original.mlir] (the float reference, when --mlir is a variant such as --bc's or --we's)
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseCaliTable, parseQtable, preprocessFromInputOp, preprocessImage } from '@tpu-quant/calib';
import { importCalibration, lowerTopToTpu, propagateCalibration } from '@tpu-quant/chip-bm168x';
import { bf16BitsToNumber, f16BitsToNumber, loadNpz, parseMlir, runPipeline, type Module, type NdArray } from '@tpu-quant/ir';
import { createSession } from '@tpu-quant/runtime';

const { values: o } = parseArgs({
  options: {
    mlir: { type: 'string' }, float_mlir: { type: 'string' }, table: { type: 'string' }, mode: { type: 'string', default: 'INT8' },
    chip: { type: 'string', default: 'bm1684x' }, asymmetric: { type: 'boolean', default: false }, qtable: { type: 'string' }, from: { type: 'string', default: '0' }, to: { type: 'string', default: '100' },
    assets: { type: 'string', default: join(import.meta.dirname, '../../../../shared/assets') },
  },
});
if (!o.mlir) throw new Error('--mlir is required');

async function load(path: string): Promise<Module> {
  const m = parseMlir(readFileSync(path, 'utf8'), path);
  const w = m.attrs.get('module.weight_file');
  m.weights = await loadNpz(join(dirname(path), w?.kind === 'string' ? w.value : ''));
  return m;
}

const float = await load(o.float_mlir ?? o.mlir);
const lowered = await load(o.mlir);
if (o.mode === 'INT8') {
  if (!o.table) throw new Error('--table is required for INT8');
  // the chip's calibration rules (BM1684 and CV18xx differ, deploy.md §3.2, §3.4)
  importCalibration(lowered, parseCaliTable(readFileSync(o.table, 'utf8')).rows, { processor: o.chip, asymmetric: o.asymmetric });
  propagateCalibration(lowered, { processor: o.chip });
}
// a qtable (per-op modes, deploy.md §3.7) goes to the lowering directly: the pass string has no file option
if (o.qtable) lowerTopToTpu(lowered, { chip: o.chip, mode: o.mode, asymmetric: o.asymmetric, quantizeTable: parseQtable(readFileSync(o.qtable, 'utf8'), o.qtable) });
else await runPipeline(lowered, `convert-top-to-tpu{chip=${o.chip} mode=${o.mode} asymmetric=${o.asymmetric}}`);
const logits = float.main.ops.find((op) => op.type === 'top.Flatten' || op.type === 'top.Reshape')!.name!;
// INT8 casts the logits back to f32 (`<logits>_f32`); float modes keep them in f16/bf16 under their own name
const out = lowered.main.ops.map((op) => op.name ?? '').find((n) => n === `${logits}_f32`) ?? logits;
const asF32 = (t: NdArray): Float32Array => {
  if (t.data instanceof Float32Array) return t.data;
  const decode = t.dtype === 'bf16' ? bf16BitsToNumber : f16BitsToNumber;
  return Float32Array.from(t.data as Uint16Array, (v) => decode(v));
};
const cfg = preprocessFromInputOp(float.main.ops.find((op) => op.type === 'top.Input')!);
const fs = await createSession(float, { backend: 'wasm' });
const qs = await createSession(lowered, { backend: 'wasm' }); // the integer wasm kernels equal the js ones code for code
const dir = join(o.assets, 'images/imagenet-val');
const labels = new Map(readFileSync(join(dir, 'labels.csv'), 'utf8').trim().split('\n').slice(1).map((l) => {
  const [file, , , idx1001] = l.split(',');
  return [file!, Number(idx1001)] as const;
}));
const files = readdirSync(dir).filter((f) => labels.has(f)).sort().slice(Number(o.from), Number(o.to));
const argmax = (a: Float32Array): number => a.reduce((k, v, i) => (v > a[k]! ? i : k), 0);
for (const f of files) {
  const x = await preprocessImage(join(dir, f), cfg, [1, 3, 224, 224]);
  const name = fs.inputNames[0]!;
  const a = (await fs.run({ [name]: x }, { capture: [logits] })).tensors.get(logits)!.data as Float32Array;
  const b = asF32((await qs.run({ [name]: x }, { capture: [out] })).tensors.get(out)!);
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += a[i]! * b[i]!; aa += a[i]! ** 2; bb += b[i]! ** 2; }
  console.log(JSON.stringify({ file: f, label: labels.get(f), float: argmax(a), quant: argmax(b), cos: ab / Math.sqrt(aa * bb) }));
}
await Promise.all([fs.dispose(), qs.dispose()]);
