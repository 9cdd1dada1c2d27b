// Sample lines -> network inputs, as TPU-MLIR's ActivationCalibrator.load_net_input builds them
// (calibration spec §2.2). B is dim 0 of the first top.Input.
//  * images: the list is padded to a multiple of B by repeating its last line; B consecutive lines
//    make one sample; each input's B images are preprocessed as its top.Input says and stacked.
//  * npz: a file whose array has dim0 > 1 is one sample as it is; arrays with dim0 <= 1 are
//    accumulated (as float32) across files until B rows are there, and the first B rows used.
//    A single-input model takes the npz's only array (any key); with several inputs every input
//    name must be a key. Rows left over when the list ends are dropped.
//  * npy: one sample per line, one file per input, used as they are.
// Samples are decoded a few ahead of the consumer, so decoding overlaps inference.
import { extname } from 'node:path';
import {
  f16BitsToNumber, listNpz, loadNpy, loadNpz, ndarray, shapeSize, UserError,
  type Module, type NdArray, type Op, type TensorType,
} from '@tpu-quant/ir';
import { preprocessFromInputOp, type PreprocessConfig } from '../preprocess/config.js';
import { preprocessImage } from '../preprocess/preprocess.js';
import { DecodeThread } from './decode-thread.js';
import { prefetch } from './prefetch.js';
import type { SampleList } from './select.js';

export interface CalibrationData {
  /**
   * How many samples `samples()` yields (at most `limit`). For .npz data with batch size > 1 the
   * number depends on the arrays' row counts, known only once the files are read: until a full
   * pass has run it is the number of lines (an upper bound), then the exact count.
   */
  readonly count: number;
  /**
   * The exact number of samples, reading only what it needs (npz array headers). Present where
   * `count` may be an upper bound (npz data with batch size > 1).
   */
  readonly exactCount?: () => Promise<number>;
  /**
   * The calibration table's "# sample number": lines / B for images (after padding), lines for
   * npz and npy (TPU-MLIR counts before batching and before dropping an incomplete last sample).
   */
  readonly headerSampleNumber: number;
  /** Inputs by name, one map per sample, in list order; each call starts from the first sample. */
  samples(): AsyncIterable<Map<string, NdArray>>;
}

/** Samples decoded ahead of the one being used. */
const AHEAD = 3;
/** From this many image samples on, decoding runs on its own thread (starting it costs ~0.1 s). */
const DECODE_THREAD_MIN = 16;

export interface CalibrationDataOptions {
  /** Yield at most this many samples. */
  readonly limit?: number;
  /** Decode images on a worker thread (default: when there are at least 16 samples). */
  readonly decodeThread?: boolean;
}

interface ModelInput {
  readonly name: string;
  readonly shape: readonly number[];
  readonly op: Op;
}

export function calibrationData(list: SampleList, module: Module, opts: CalibrationDataOptions = {}): CalibrationData {
  const inputs = modelInputs(module);
  const first = inputs[0]!.shape;
  const batch = first.length > 0 && first[0]! > 0 ? first[0]! : 1;
  const limit = opts.limit ?? Infinity;
  if (!(limit >= 0)) throw new RangeError(`calibrationData: limit must be >= 0, got ${limit}`);
  if (list.entries.length === 0) throw new UserError('E_DATA', 'the sample list is empty', 'give --dataset or --data_list with at least one sample');
  const n = list.entries.length;
  switch (list.kind) {
    case 'image': {
      checkPathsPerLine(list, inputs);
      const configs = inputs.map((inp) => imageConfig(inp));
      const lines = [...list.entries];
      while (lines.length % batch !== 0) lines.push(lines[lines.length - 1]!);
      const samples = lines.length / batch;
      const count = Math.min(samples, limit);
      return {
        count,
        headerSampleNumber: samples,
        samples: () => imageSamples(count, (i) => lines.slice(i * batch, (i + 1) * batch), inputs, configs, opts.decodeThread ?? count >= DECODE_THREAD_MIN),
      };
    }
    case 'npy': {
      checkPathsPerLine(list, inputs);
      const count = Math.min(n, limit);
      return {
        count,
        headerSampleNumber: n,
        samples: () => prefetch(count, (i) => npySample(list.entries[i]!, inputs), AHEAD),
      };
    }
    case 'npz': {
      for (const [i, e] of list.entries.entries()) {
        if (e.length !== 1) throw new UserError('E_DATA', `sample ${i + 1} (${e.join(',')}): an .npz sample is one file`, 'one .npz per line holds every input, keyed by input name');
      }
      const files = list.entries.map((e) => e[0]!);
      let count = Math.min(n, limit);
      let exact = batch === 1;
      return {
        get count() {
          return count;
        },
        headerSampleNumber: n,
        ...(exact
          ? {}
          : {
              exactCount: async () => {
                if (!exact) {
                  count = Math.min(await countNpzSamples(files, inputs, batch), limit);
                  exact = true;
                }
                return count;
              },
            }),
        async *samples() {
          let yielded = 0;
          if (limit === 0) return;
          for await (const s of npzSamples(files, inputs, batch)) {
            yield s;
            if (++yielded >= limit) return;
          }
          if (!exact) {
            count = yielded;
            exact = true;
          }
        },
      };
    }
  }
}

function modelInputs(module: Module): ModelInput[] {
  const ops = module.main.ops.filter((op) => op.type === 'top.Input');
  if (ops.length === 0) throw new UserError('E_INPUT', 'the model has no top.Input op', 'calibration needs a top-dialect .mlir from model_transform');
  return ops.map((op, i) => {
    const t = op.results[0]?.type;
    if (t?.kind !== 'tensor') throw new UserError('E_INPUT', `input ${i} of the model has no tensor type`, 'check the .mlir');
    return { name: op.name ?? `input${i}`, shape: (t as TensorType).shape, op };
  });
}

function checkPathsPerLine(list: SampleList, inputs: readonly ModelInput[]): void {
  for (const [i, e] of list.entries.entries()) {
    if (e.length !== inputs.length) {
      throw new UserError('E_DATA', `sample ${i + 1} (${e.join(',')}) names ${e.length} file(s), the model has ${inputs.length} input(s): ${inputs.map((x) => x.name).join(', ')}`, 'write one comma-separated file per input on each line of --data_list, in input order');
    }
  }
}

function imageConfig(inp: ModelInput): PreprocessConfig {
  if (inp.shape.length !== 4) {
    throw new UserError('E_SHAPE', `input "${inp.name}" has shape [${inp.shape.join(',')}]; image data needs a 4-D [N,C,H,W] or [N,H,W,C] input`, 'use .npy/.npz calibration data for this model');
  }
  return preprocessFromInputOp(inp.op);
}

type Preprocess = typeof preprocessImage;

/** The image samples in order, decoded ahead (on a thread of their own when `threaded`). */
async function* imageSamples(
  count: number, linesOf: (i: number) => string[][], inputs: readonly ModelInput[], configs: readonly PreprocessConfig[], threaded: boolean,
): AsyncGenerator<Map<string, NdArray>> {
  const thread = threaded && count > 0 ? new DecodeThread() : undefined;
  const pre: Preprocess = thread ? (path, cfg, shape) => thread.preprocess(path, cfg, shape) : preprocessImage;
  try {
    yield* prefetch(count, (i) => imageSample(linesOf(i), inputs, configs, pre), AHEAD);
  } finally {
    await thread?.close();
  }
}

async function imageSample(lines: readonly string[][], inputs: readonly ModelInput[], configs: readonly PreprocessConfig[], pre: Preprocess): Promise<Map<string, NdArray>> {
  const out = new Map<string, NdArray>();
  await Promise.all(inputs.map(async (inp, k) => {
    const one = [1, ...inp.shape.slice(1)];
    const images = await Promise.all(lines.map((l) => pre(l[k]!, configs[k]!, one)));
    const stacked = concatRows(images.map((a) => ({ a, file: '' })), inp.name);
    out.set(inp.name, conform(stacked, inp, `images ${lines.map((l) => l[k]).join(', ')}`));
  }));
  // Map order = model input order.
  return new Map(inputs.map((inp) => [inp.name, out.get(inp.name)!]));
}

async function npySample(paths: readonly string[], inputs: readonly ModelInput[]): Promise<Map<string, NdArray>> {
  const arrays = await Promise.all(paths.map((p) => {
    if (extname(p).toLowerCase() !== '.npy') throw new UserError('E_DATA', `${p} is not an .npy file`, 'calibration data must be all .npy');
    return loadNpy(p);
  }));
  return new Map(inputs.map((inp, k) => [inp.name, conform(arrays[k]!, inp, paths[k]!)]));
}

/** The accumulate-to-batch logic of load_net_input for npz files. */
async function* npzSamples(files: readonly string[], inputs: readonly ModelInput[], batch: number): AsyncGenerator<Map<string, NdArray>> {
  const single = inputs.length === 1;
  const pending = new Map<string, { a: NdArray; file: string }[]>();
  const rows = (name: string): number => (pending.get(name) ?? []).reduce((s, p) => s + p.a.shape[0]!, 0);
  let sample = new Map<string, NdArray>();
  let i = 0;
  for await (const npz of prefetch(files.length, (k) => loadNpz(files[k]!), AHEAD)) {
    const file = files[i++]!;
    // Whether the sample is complete is decided by the last input (TPU-MLIR's `batch_size`).
    let ready = false;
    for (const inp of inputs) {
      const a = single ? onlyArray(npz, inp, file) : named(npz, inp, file);
      if (a.shape.length === 0) throw new UserError('E_SHAPE', `${file}: input "${inp.name}" is a scalar; arrays need a batch axis`, `the model expects shape [${inp.shape.join(',')}]`);
      if (a.shape[0]! > 1) {
        sample.set(inp.name, a);
        ready = true;
        continue;
      }
      const acc = pending.get(inp.name) ?? [];
      acc.push({ a, file });
      pending.set(inp.name, acc);
      const have = rows(inp.name);
      ready = have >= batch;
      if (ready) {
        // The first rows of the input's own batch size (the first input's B for a single input).
        const own = single ? batch : inp.shape[0] ?? batch;
        sample.set(inp.name, takeRows(concatRows(acc, inp.name), own));
        pending.delete(inp.name);
      }
    }
    if (!ready) continue;
    const missing = inputs.filter((inp) => !sample.has(inp.name));
    if (missing.length > 0) {
      throw new UserError('E_DATA', `${file}: input "${inputs[inputs.length - 1]!.name}" has a full batch of ${batch} but ${missing.map((m) => `"${m.name}"`).join(', ')} not yet`, 'give every input the same number of rows in each .npz');
    }
    yield new Map(inputs.map((inp) => [inp.name, conform(sample.get(inp.name)!, inp, file)]));
    sample = new Map();
  }
}

/**
 * How many samples npzSamples will yield, from the arrays' headers alone: the same accumulation of
 * rows to a batch, decided by the last input. Files it cannot judge (a missing input) count as
 * npzSamples would fail on them: the run reports the error when it reaches them.
 */
async function countNpzSamples(files: readonly string[], inputs: readonly ModelInput[], batch: number): Promise<number> {
  const single = inputs.length === 1;
  const pending = new Map<string, number>();
  let samples = 0;
  for (const file of files) {
    const entries = await listNpz(file);
    let ready = false;
    for (const inp of inputs) {
      const e = single && entries.length === 1 ? entries[0] : entries.find((x) => x.name === inp.name);
      const rows = e?.shape[0] ?? 1;
      if (rows > 1) {
        ready = true;
        continue;
      }
      const have = (pending.get(inp.name) ?? 0) + rows;
      ready = have >= batch;
      if (ready) pending.delete(inp.name);
      else pending.set(inp.name, have);
    }
    if (ready) samples++;
  }
  return samples;
}

function onlyArray(npz: Map<string, NdArray>, inp: ModelInput, file: string): NdArray {
  if (npz.size === 1) return npz.values().next().value!;
  // TPU-MLIR insists on exactly one array; we also accept one named after the input.
  const a = npz.get(inp.name);
  if (a) return a;
  throw new UserError('E_DATA', `${file} holds ${npz.size} arrays (${[...npz.keys()].join(', ') || 'none'}); the model has one input, "${inp.name}"`, `save one array per .npz, or name it "${inp.name}"`);
}

function named(npz: Map<string, NdArray>, inp: ModelInput, file: string): NdArray {
  const a = npz.get(inp.name);
  if (a) return a;
  throw new UserError('E_DATA', `${file} has no array for input "${inp.name}"`, `it holds: ${[...npz.keys()].join(', ') || 'nothing'}; the keys must be the model's input names`);
}

/**
 * The array as the model's input wants it: its shape, or the same shape with leading 1s added or
 * dropped (reshaped, same data). Anything else is an error naming the file.
 */
function conform(a: NdArray, inp: ModelInput, what: string): NdArray {
  if (sameShape(a.shape, inp.shape)) return a;
  if (sameShape(stripOnes(a.shape), stripOnes(inp.shape)) && inp.shape.every((d) => d >= 0)) return { ...a, shape: [...inp.shape] };
  throw new UserError('E_SHAPE', `${what}: input "${inp.name}" has shape [${a.shape.join(',')}], the model expects [${inp.shape.join(',')}]`, 'calibration data must match the input shapes of the .mlir (batch size included)');
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function stripOnes(s: readonly number[]): readonly number[] {
  let i = 0;
  while (i < s.length && s[i] === 1) i++;
  return s.slice(i);
}

/** Concatenation on axis 0, as float32 (TPU-MLIR casts the rows it accumulates). */
function concatRows(parts: readonly { a: NdArray; file: string }[], name: string): NdArray<'f32'> {
  const inner = parts[0]!.a.shape.slice(1);
  let total = 0;
  for (const { a, file } of parts) {
    if (!sameShape(a.shape.slice(1), inner)) {
      throw new UserError('E_SHAPE', `${file || 'image batch'}: input "${name}" rows have shape [${a.shape.slice(1).join(',')}], earlier ones [${inner.join(',')}]`, 'every sample of an input must have the same shape');
    }
    total += a.shape[0]!;
  }
  if (parts.length === 1 && parts[0]!.a.dtype === 'f32') return parts[0]!.a as NdArray<'f32'>;
  const data = new Float32Array(total * shapeSize(inner));
  let at = 0;
  for (const { a } of parts) {
    writeF32(a, data, at);
    at += a.data.length;
  }
  return ndarray('f32', [total, ...inner], data);
}

function takeRows(a: NdArray<'f32'>, n: number): NdArray<'f32'> {
  if (a.shape[0] === n) return a;
  const row = shapeSize(a.shape.slice(1));
  return ndarray('f32', [n, ...a.shape.slice(1)], a.data.slice(0, n * row));
}

function writeF32(a: NdArray, out: Float32Array, at: number): void {
  const n = a.data.length;
  if (a.dtype === 'f16') {
    for (let i = 0; i < n; i++) out[at + i] = f16BitsToNumber((a.data as Uint16Array)[i]!);
  } else if (a.dtype === 'bf16') {
    const bits = new Uint32Array(1);
    const f = new Float32Array(bits.buffer);
    for (let i = 0; i < n; i++) {
      bits[0] = (a.data as Uint16Array)[i]! << 16;
      out[at + i] = f[0]!;
    }
  } else {
    const src = a.data as ArrayLike<number | bigint>;
    for (let i = 0; i < n; i++) out[at + i] = Number(src[i]!);
  }
}
