// .bmodel files in the other address modes: a small model lowered for bm1688 and written with
// addr_mode io_tag records the mode and the IO tag addresses, reads back the same, and model_runner
// on the file gives the outputs of the module it was made from; io_tag_fuse / io_reloc likewise
// record theirs. model_deploy refuses a mode the processor cannot do before any work.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readBmodel } from '@tpu-quant/bmodel';
import { lowerTopToTpu } from '@tpu-quant/chip-bm168x';
import { loadNpz, ndarray, parseMlir, saveNpz, type Module } from '@tpu-quant/ir';
import { createSession } from '@tpu-quant/runtime';
import { writeDeployedBmodel } from '../src/bmodel-files.js';
import { expectUserError, runCli } from './run-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'tpuq-addr-'));
const TAG = (k: number) => 2 ** 39 + (3 + k) * 2 ** 36; // bm1688 IO_ADDR[k]

/** x [1,2,4,4] -> conv 1x1 (w, b) -> relu "y" (128 B), and relu of x "z" [1,2,4,4] (128 B) and a reshape "r" of y. */
function topModule(): Module {
  const m = parseMlir(
    `module @tiny attributes {module.chip = "ALL", module.platform = "ONNX", module.state = "TOP_F32", module.top_run_mode = "STATIC", module.weight_file = "tiny_top_f32_all_weight.npz"} {
  func.func @main(%arg0: tensor<1x2x4x4xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x32xf32>, tensor<1x2x4x4xf32>) {
    %0 = "top.Input"(%arg0) : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> loc("x")
    %1 = "top.Weight"() : () -> tensor<2x2x1x1xf32> loc("w")
    %2 = "top.Weight"() : () -> tensor<2xf32> loc("b")
    %3 = "top.None"() : () -> none loc("none")
    %4 = "top.Conv"(%0, %1, %2) {kernel_shape = [1, 1], strides = [1, 1], pads = [0, 0, 0, 0], dilations = [1, 1], group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32> loc("c")
    %5 = "top.Relu"(%4) : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> loc("y")
    %6 = "top.Reshape"(%5) {shape = [1, 32]} : (tensor<1x2x4x4xf32>) -> tensor<1x32xf32> loc("r")
    %7 = "top.Relu"(%0) : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> loc("z")
    return %5, %6, %7 : tensor<1x2x4x4xf32>, tensor<1x32xf32>, tensor<1x2x4x4xf32>
  }
}`,
    'tiny.mlir',
  );
  m.weights.set('w', ndarray('f32', [2, 2, 1, 1], new Float32Array([1, -2, 0.5, 3])));
  m.weights.set('b', ndarray('f32', [2], new Float32Array([0.25, -1])));
  return m;
}

describe('bmodel with addr modes', () => {
  test('io_tag: tag addresses and addr_mode 2 in the file, model_runner on it gives the module outputs', async () => {
    const m = topModule();
    lowerTopToTpu(m, { chip: 'bm1688', mode: 'F32' });
    const file = join(tmp, 'tag.bmodel');
    const { plan } = await writeDeployedBmodel(m, 'bm1688', file, { addrMode: 'io_tag' });
    expect(plan.addrMode).toBe('io_tag');
    const back = readBmodel(await readFile(file));
    const net = back.nets[0]!;
    expect(net.addrMode).toBe(2);
    const stage = net.stages[0]!;
    // Four IO tensors of 128 bytes: x, y, r, z in inputs-then-outputs order take tags 0..3.
    expect(stage.inputs.map((t) => [t.name, t.deviceAddr, t.size])).toEqual([['x', TAG(0), 128]]);
    expect(stage.outputs.map((t) => [t.name, t.deviceAddr])).toEqual([['y', TAG(1)], ['r', TAG(2)], ['z', TAG(3)]]);
    expect(stage.ioAddr).toBe(0);
    expect(stage.ctxAddr).toBe(2 ** 39 + 2 * 2 ** 36);

    const x = ndarray('f32', [1, 2, 4, 4], Float32Array.from({ length: 32 }, (_, i) => (i % 7) - 3.5));
    const want = await (await createSession(topModule(), { backend: 'js' })).run({ x });
    const input = join(tmp, 'in.npz');
    await saveNpz(input, new Map([['x', x]]));
    const out = join(tmp, 'out.npz');
    const r = runCli(['model_runner', '--model', file, '--input', input, '--output', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const got = await loadNpz(out);
    for (const name of ['y', 'r', 'z']) {
      expect([...got.get(name)!.data], name).toEqual([...want.outputs.get(name)!.data]);
    }
  }, 120_000);

  test('io_tag_fuse and io_reloc record their mode; io_tag_fuse packs the outputs at tag 1', async () => {
    const fuse = topModule();
    lowerTopToTpu(fuse, { chip: 'cv186x', mode: 'F32' });
    const f = join(tmp, 'fuse.bmodel');
    await writeDeployedBmodel(fuse, 'cv186x', f, { addrMode: 'io_tag_fuse' });
    const fb = readBmodel(await readFile(f));
    expect(fb.nets[0]!.addrMode).toBe(3);
    expect(fb.nets[0]!.stages[0]!.outputs.map((t) => t.deviceAddr)).toEqual([TAG(1), TAG(1) + 128, TAG(1) + 256]);
    const reloc = topModule();
    lowerTopToTpu(reloc, { chip: 'bm1684x', mode: 'F32' });
    const rf = join(tmp, 'reloc.bmodel');
    const { plan } = await writeDeployedBmodel(reloc, 'bm1684x', rf, { addrMode: 'io_reloc' });
    const rb = readBmodel(await readFile(rf));
    expect(rb.nets[0]!.addrMode).toBe(4);
    // The relocated IO slots are the last four pages of the neuron region.
    const end = plan.neuron.addr + plan.neuron.size;
    expect([...rb.nets[0]!.stages[0]!.inputs, ...rb.nets[0]!.stages[0]!.outputs].map((t) => end - t.deviceAddr)).toEqual([4, 3, 2, 1].map((k) => k * 0x1000));
  }, 60_000);

  test('model_deploy refuses io_tag on bm1684x, naming the modes it can do', () => {
    const mlir = join(tmp, 'tiny.mlir');
    writeFileSync(mlir, 'module {}\n');
    const r = runCli(['model_deploy', '--mlir', mlir, '--processor', 'bm1684x', '--addr_mode', 'io_tag', '--model', join(tmp, 'x.bmodel')]);
    expectUserError(r, 'E_ADDR_MODE');
    expect(r.stderr).toContain('addr_mode io_tag is not supported on bm1684x');
    expect(r.stderr).toContain('bm1684x can do: auto, basic, io_alone, io_reloc');
  }, 60_000);
});
