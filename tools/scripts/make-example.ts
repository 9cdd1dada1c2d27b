// Writes examples/tiny_conv: a small top-dialect model (TPU-MLIR's model_transform output format)
// and its weight npz, with deterministic pseudo-random weights. The demo runs on it until the
// ONNX frontend lands. Run: pnpm tsx --conditions=@tpu-quant/source tools/scripts/make-example.ts
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  f32, Func, Module, ndarray, Op, OpBuilder, printMlir, saveNpz, stringAttr, tensorType, top, type Value,
} from '@tpu-quant/ir';

const name = 'tiny_conv';
const dir = join('examples', name);
const m = new Module(name, {
  'module.chip': stringAttr('ALL'),
  'module.platform': stringAttr('ONNX'),
  'module.state': stringAttr('TOP_F32'),
  'module.top_run_mode': stringAttr('STATIC'),
  'module.weight_file': stringAttr(`${name}_top_f32_all_weight.npz`),
});
const out = tensorType([1, 10], f32);
const f = m.addFunc(new Func('main', { resultTypes: [out] }));
const b = new OpBuilder(f);

let seed = 1234567;
function random(): number {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648 - 0.5;
}
function weight(wname: string, shape: number[], scale: number): Value {
  const a = ndarray('f32', shape);
  for (let i = 0; i < a.data.length; i++) a.data[i] = random() * scale;
  return b.weight(wname, a);
}

const x = top.input(b, { input: f.addArgument(tensorType([1, 3, 32, 32], f32)) }, {
  channel_format: 'nchw', keep_aspect_ratio: false, keep_ratio_mode: 'letterbox', pad_type: 'center', pad_value: 0,
  pixel_format: 'rgb', resize_dims: [36, 36], mean: [123.675, 116.28, 103.53], scale: [0.0171, 0.0175, 0.0174],
}, { loc: 'input' });
const c1 = top.conv(b, { input: x, filter: weight('conv1_w', [8, 3, 3, 3], 0.5), bias: weight('conv1_b', [8], 0.1) },
  { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { loc: 'conv1' });
const r1 = top.relu(b, { input: c1 }, {}, { loc: 'relu1' });
const p1 = top.maxPool(b, { input: r1 }, { kernel_shape: [2, 2], strides: [2, 2] }, { loc: 'pool1' });
const dw = top.conv(b, { input: p1, filter: weight('dw2_w', [8, 1, 3, 3], 0.5), bias: weight('dw2_b', [8], 0.1) },
  { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 8, do_relu: true, relu_limit: 6 }, { loc: 'dw2' });
const c3 = top.conv(b, { input: dw, filter: weight('conv3_w', [16, 8, 1, 1], 0.5), bias: weight('conv3_b', [16], 0.1) },
  { kernel_shape: [1, 1], strides: [2, 2] }, { loc: 'conv3' });
const gap = top.avgPool(b, { input: c3 }, { kernel_shape: [8, 8], strides: [8, 8] }, { loc: 'gap' });
const flat = top.reshape(b, { input: gap }, { shape: [1, 16] }, { loc: 'flatten' });
const fc = top.matMul(b, { input: flat, right: weight('fc_w', [16, 10], 0.5), bias: weight('fc_b', [10], 0.1) }, {},
  { loc: 'fc' });
const prob = top.softmax(b, { input: fc }, { axis: 1 }, { loc: 'prob' });
f.append(new Op('func.return', { operands: [prob.result()] }));

writeFileSync(join(dir, `${name}.mlir`), printMlir(m));
await saveNpz(join(dir, `${name}_top_f32_all_weight.npz`), m.weights);
console.log(`wrote ${dir}/${name}.mlir and its weights (${m.weights.size} arrays)`);
