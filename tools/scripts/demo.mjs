#!/usr/bin/env node
// `pnpm demo` (after `pnpm build`): runs what the pipeline has today on the example model the
// repo ships. Each later stage (model_transform, run_calibration, model_deploy) extends this.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'packages', 'cli', 'dist', 'bin', 'tpu-quant.js');
const example = join('examples', 'tiny_conv');
const mlir = join(example, 'tiny_conv.mlir');
const weights = join(example, 'tiny_conv_top_f32_all_weight.npz');
const out = 'demo-out';
mkdirSync(join(root, out), { recursive: true });

function step(title, args) {
  console.log(`\n== ${title}\n$ tpu-quant ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`demo: "${title}" failed (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
}

step('processors tpu-quant can target', ['processors']);

const roundTrip = join(out, 'tiny_conv.roundtrip.mlir');
step('parse and print a TPU-MLIR top file with no passes (tpuc-opt analog)', ['opt', mlir, '-o', roundTrip]);
const same = readFileSync(join(root, mlir)).equals(readFileSync(join(root, roundTrip)));
console.log(`byte-identical to the input: ${same ? 'yes' : 'NO'}`);
if (!same) process.exit(1);

step('run a pass pipeline with timings', [
  'opt', mlir, '--pass-pipeline', 'sort-topologically,dce,set-module-attr{name=module.state value=TOP_F32}',
  '--mlir-timing', '-o', join(out, 'tiny_conv.opt.mlir'),
]);
step('list the passes', ['opt', '--list-passes']);
step('weights of the example model', ['npz_tool', 'get_shape', weights]);
step('one weight in detail', ['npz_tool', 'dump', weights, 'conv1_w', '--K', '6']);
console.log(`\ndemo done: outputs in ${out}/`);
