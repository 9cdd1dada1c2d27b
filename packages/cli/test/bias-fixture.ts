// Small CNNs for the search_threshold and bias-correction tests (the real lowering, chip-bm168x).
//   biasNet: x -> c1 (3x3 conv, bias, ReLU) -> c2 (1x1 conv, bias) -> c3 (1x1 conv, bias, ReLU)
//            -> c4 (1x1 conv) -> output
// c2's INT8 weights round coarsely (one large weight per output channel on an input channel that
// is always 0 sets the scale) and its input has a large mean, so c2's INT8 output is shifted per
// channel by Σ_k (rounding error of W2[c,k])·mean(c1_k): the error bias correction removes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { f32, Func, Module, ndarray, Op, OpBuilder, printMlir, saveNpz, stringAttr, tensorType, top, type NdArray } from '@tpu-quant/ir';
import { writeSampleList } from './qtable-fixture.js';
import { rand } from './seeded-rand.js';

/** `sharedBias`: c3 reads c2's bias weight `b2` (one weight, two convs). */
export function biasNet(o: { sharedBias?: boolean } = {}): Module {
  const m = new Module('bnet', new Map([['module.state', stringAttr('TOP_F32')], ['module.weight_file', stringAttr('bnet_top_f32_all_weight.npz')]]));
  const f = m.addFunc(new Func('main'));
  const b = new OpBuilder(f);
  const x = top.input(b, { input: f.addArgument(tensorType([1, 4, 8, 8], f32)) }, {}, { loc: 'x' }).result();
  const w = (name: string, shape: number[], data: Float32Array) => b.weight(name, ndarray('f32', shape, data));
  // c1: channel 0 stays at 0 (bias -5 under ReLU), the others sit around 2
  const b1 = rand(8, 2, 0.1, 2);
  b1[0] = -5;
  const c1 = top.conv(b, { input: x, filter: w('w1', [8, 4, 3, 3], rand(288, 1, 0.3)), bias: w('b1', [8], b1) }, { kernel_shape: [3, 3], pads: [1, 1, 1, 1], do_relu: true }, { loc: 'c1' });
  // c2: small weights, and a large one on c1's dead channel 0 that sets every output channel's
  // INT8 weight scale (3/127): the small weights round coarsely, and their errors times c1's
  // mean (~2) shift each channel's mean
  const w2 = rand(64, 3, 0.05);
  for (let c = 0; c < 8; c++) w2[c * 8] = 3;
  const b2 = w('b2', [8], rand(8, 7, 0.1));
  const c2 = top.conv(b, { input: c1, filter: w('w2', [8, 8, 1, 1], w2), bias: b2 }, { kernel_shape: [1, 1] }, { loc: 'c2' });
  const b3 = o.sharedBias ? b2 : w('b3', [8], rand(8, 5, 0.1));
  const c3 = top.conv(b, { input: c2, filter: w('w3', [8, 8, 1, 1], rand(64, 4, 0.5)), bias: b3 }, { kernel_shape: [1, 1], do_relu: true }, { loc: 'c3' });
  const c4 = top.conv(b, { input: c3, filter: w('w4', [4, 8, 1, 1], rand(32, 6, 0.5)) }, { kernel_shape: [1, 1] }, { loc: 'c4' });
  f.resultTypes = [c4.result().type];
  f.append(new Op('func.return', { operands: [c4.result()] }));
  return m;
}

/** Inputs; with `outlier`, sample 0 holds one value of that size (a heavy tail MAX keeps whole). */
export function biasSamples(n: number, outlier?: number): Map<string, NdArray>[] {
  return Array.from({ length: n }, (_, i) => {
    const d = rand(256, 100 + i, 1);
    if (outlier !== undefined && i === 0) d[17] = outlier;
    return new Map([['x', ndarray('f32', [1, 4, 8, 8], d)]]);
  });
}

/** MAX-style rows (threshold = max |x| over the samples), some multiplied by `factors`. */
export { maxRows as biasRows } from './qtable-fixture.js';

/** The model (.mlir + weights), `n` samples as .npz files and their list, written to `dir`. */
export async function writeBiasNet(dir: string, n: number, outlier?: number): Promise<{ mlir: string; npz: string; list: string; samples: Map<string, NdArray>[] }> {
  mkdirSync(dir, { recursive: true });
  const m = biasNet();
  const mlir = join(dir, 'bnet.mlir');
  writeFileSync(mlir, printMlir(m));
  const npz = join(dir, 'bnet_top_f32_all_weight.npz');
  await saveNpz(npz, m.weights);
  const samples = biasSamples(n, outlier);
  const list = await writeSampleList(dir, samples);
  return { mlir, npz, list, samples };
}
