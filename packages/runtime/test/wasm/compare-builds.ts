// Same-process A/B of the two wasm builds (not a test): records every Conv a model runs, then
// replays them on a plain and a relaxed-SIMD instance side by side, alternating, and prints the
// median total per build. `npx tsx --conditions @tpu-quant/source
// packages/runtime/test/wasm/compare-builds.ts [model] [--reps N]`
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { importOnnxFile } from '@tpu-quant/frontend-onnx';
import { top } from '@tpu-quant/ir';
import { nchw, resolveAutoPad, window2d } from '../../src/kernels/js/conv.js';
import { createSession, getKernel } from '../../src/index.js';
import { compileWasm, wasmIsStale, WASM_FILE, WASM_RELAXED_FILE } from '../../src/kernels/wasm/loader.js';
import type { WasmKernels } from '../../src/kernels/wasm/loader.js';
import { random } from '../helpers/build.js';

const ASSETS = process.env.TPUQ_ASSETS ?? resolve(import.meta.dirname, '../../../../../shared/assets');
const FILES: Record<string, [string, number[]]> = {
  mobilenet_v2: ['models/imagenet/mobilenet_v2_1.0_224.tf2ptq-dequant.onnx', [1, 3, 224, 224]],
  yolox_nano: ['models/detection/yolox_nano_416.onnx', [1, 3, 416, 416]],
  ppocrv4_det: ['models/ocr/ch_PP-OCRv4_det_infer.onnx', [1, 3, 480, 480]],
};
const args = process.argv.slice(2);
const reps = args.includes('--reps') ? Number(args[args.indexOf('--reps') + 1]) : 15;
const name = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--')) ?? 'mobilenet_v2';
const [file, shape] = FILES[name]!;
setFlagsFromString('--experimental-wasm-relaxed-simd');
const inst = async (f: string): Promise<WasmKernels> => {
  if ((f === WASM_FILE || f === WASM_RELAXED_FILE) && wasmIsStale(f)) await compileWasm(f);
  const WA = (globalThis as unknown as { WebAssembly: { instantiate(b: Uint8Array, i: object): Promise<{ instance: { exports: unknown } }> } }).WebAssembly;
  return (await WA.instantiate(await readFile(f), { env: { abort: () => { throw new Error('abort'); } } })).instance.exports as WasmKernels;
};
// COMPARE_A / COMPARE_B: two other .wasm files to compare instead (reported as plain / relaxed)
const builds = { plain: await inst(process.env.COMPARE_A ?? WASM_FILE), relaxed: await inst(process.env.COMPARE_B ?? WASM_RELAXED_FILE) };

// record the model's convs (one run)
const mod = await importOnnxFile(resolve(ASSETS, file), { modelName: 'm', inputShapes: [shape] });
const s = await createSession(mod, { backend: 'wasm' });
const k = getKernel('top.Conv', 'wasm')!;
const orig = k.run.bind(k);
const calls: { x: Float32Array; xs: readonly number[]; w: Float32Array; b?: Float32Array; ys: readonly number[]; a: ReturnType<typeof top.convAttrs> }[] = [];
(k as { run: typeof k.run }).run = (ctx) => {
  const r = orig(ctx);
  const a = top.convAttrs(ctx.op);
  if (a.kernel_shape.length === 2) {
    calls.push({ x: (ctx.inputs[0]!.data as Float32Array).slice(), xs: ctx.inputs[0]!.shape, w: ctx.inputs[1]!.data as Float32Array,
      b: ctx.inputs[2]?.data as Float32Array | undefined, ys: r[0]!.shape, a });
  }
  return r;
};
await s.run({ [s.inputNames[0]!]: random(shape, 7) });

// lay every conv out once per instance (filter packed, input, output, scratch), as conv.ts does
type Job = () => void;
function jobs(K: WasmKernels): Job[] {
  let top0 = (K.heapBase() + 15) & ~15;
  const grab = (bytes: number): number => {
    const p = top0; top0 += (bytes + 15) & ~15;
    const have = K.memory.buffer.byteLength;
    if (top0 > have) K.memory.grow(Math.ceil((top0 - have) / 65536));
    return p;
  };
  const put = (d: Float32Array, pad = d.length): number => { const p = grab(Math.max(pad, d.length) * 4); new Float32Array(K.memory.buffer, p, d.length).set(d); return p; };
  const out: Job[] = [];
  for (const c of calls) {
    const { a } = c;
    const pads = resolveAutoPad(a.auto_pad, c.xs.slice(2), a.kernel_shape, a.strides, a.dilations, a.pads);
    const { kh, kw, sh, sw, dh, dw, pt, pl, pb, pr } = window2d('top.Conv', a.kernel_shape, a.strides, a.dilations, pads);
    const [n, ic, ih, iw] = nchw(c.xs);
    const [, oc, oh, ow] = nchw(c.ys);
    const g = a.group, depthwise = g === ic && g === oc, kk = (ic / g) * kh * kw;
    const flags = a.do_relu ? 1 : 0;
    const bias = c.b ? put(c.b, Math.ceil(oc / 8) * 8 + 8) : 0;
    let pw: number;
    if (depthwise) pw = put(c.w);
    else {
      const per = Math.ceil(oc / g / 4) * 4 * kk;
      pw = grab(g * per * 4);
      const src = put(c.w);
      for (let i = 0; i < g; i++) K.packA(src + i * (oc / g) * kk * 4, kk, 1, oc / g, kk, pw + i * per * 4);
    }
    const xp = put(c.x);
    const yp = grab((n * oc * oh * ow + 4) * 4);
    if (depthwise) {
      const plane = grab(K.depthwisePlane(oh, ow, kh, kw, sh, sw, dh, dw) * 4);
      out.push(() => K.depthwise(xp, n, ic, 1, ih, iw, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, pw, bias, flags, 0, yp, plane, 1));
    } else {
      const direct = kh === 1 && kw === 1 && sh === 1 && sw === 1 && pt === 0 && pl === 0 && pb === 0 && pr === 0;
      const scratch = grab(K.chunkCols(kk, oh * ow) * kk * 4 + 64);
      out.push(() => K.conv2d(xp, n, ic, ih, iw, oc, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, g, direct ? 1 : 0, pw, bias, flags, 0, yp, scratch));
    }
  }
  return out;
}
const J = { plain: jobs(builds.plain), relaxed: jobs(builds.relaxed) };
const t: Record<string, number[]> = { plain: [], relaxed: [] };
for (let r = 0; r < reps + 2; r++) {
  for (const b of (r % 2 ? ['relaxed', 'plain'] : ['plain', 'relaxed']) as ('plain' | 'relaxed')[]) {
    const t0 = performance.now();
    for (const j of J[b]) j();
    if (r >= 2) t[b]!.push(performance.now() - t0);
  }
}
const med = (v: number[]): number => [...v].sort((x, y) => x - y)[v.length >> 1]!;
console.log(`${name}: ${calls.length} convs, compute only (no copies), median of ${reps} alternating: plain ${med(t.plain!).toFixed(2)} ms, relaxed ${med(t.relaxed!).toFixed(2)} ms (${((1 - med(t.relaxed!) / med(t.plain!)) * 100).toFixed(1)}% less)`);
