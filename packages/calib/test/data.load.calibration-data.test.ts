// calibrationData: load_net_input's batching, padding and npz/npy rules, on real files.
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { ndarray, parseMlir, saveNpy, saveNpz, UserError, type Module, type NdArray } from '@tpu-quant/ir';
import { preprocessFromInputOp, preprocessImage } from '../src/preprocess/index.js';
import { calibrationData, type SampleList } from '../src/data/index.js';
import { prefetch } from '../src/data/prefetch.js';

const IMAGES = fileURLToPath(new URL('../../../../shared/assets/images/imagenet-cali/', import.meta.url));
const PRE = fileURLToPath(new URL('./fixtures/preprocess/', import.meta.url));

/** A top module with the given inputs ("name:1x3x16x16"), each feeding a Relu that is returned. */
function model(inputs: readonly string[], inputAttrs = ''): Module {
  const parsed = inputs.map((s) => {
    const [name, dims] = s.split(':') as [string, string];
    return { name, t: `tensor<${dims}xf32>` };
  });
  const args = parsed.map((p, i) => `%arg${i}: ${p.t}`).join(', ');
  const body = parsed.map((p, i) => [
    `    %in${i} = "top.Input"(%arg${i}) {${inputAttrs}} : (${p.t}) -> ${p.t} loc("${p.name}")`,
    `    %r${i} = "top.Relu"(%in${i}) {relu_limit = -1.000000e+00 : f64} : (${p.t}) -> ${p.t} loc("${p.name}_relu")`,
  ].join('\n')).join('\n');
  const text = `module @m attributes {module.chip = "ALL", module.state = "TOP_F32", module.weight_file = "m_weight.npz"} {
  func.func @main(${args}) -> (${parsed.map((p) => p.t).join(', ')}) {
${body}
    return ${parsed.map((_, i) => `%r${i}`).join(', ')} : ${parsed.map((p) => p.t).join(', ')}
  }
}
`;
  return parseMlir(text, 'test.mlir');
}

async function collect(it: AsyncIterable<Map<string, NdArray>>): Promise<Map<string, NdArray>[]> {
  const out: Map<string, NdArray>[] = [];
  for await (const s of it) out.push(s);
  return out;
}

async function fails(p: Promise<unknown>): Promise<UserError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(UserError);
  return e as UserError;
}

function f32(shape: number[], fill: (i: number) => number): NdArray<'f32'> {
  const n = shape.reduce((a, b) => a * b, 1);
  return ndarray('f32', shape, Float32Array.from({ length: n }, (_, i) => fill(i)));
}

const tmp = (): string => mkdtempSync(join(tmpdir(), 'tpuq-load-'));

const ATTRS = 'channel_format = "nchw", mean = [1.0e+02, 1.1e+02, 1.2e+02], pixel_format = "rgb", resize_dims = [20, 20], scale = [0.017, 0.018, 0.019]';

describe.skipIf(!existsSync(IMAGES))('images (shared imagenet-cali)', () => {
  const jpgs = existsSync(IMAGES) ? readdirSync(IMAGES).filter((f) => f.endsWith('.JPEG')).sort().slice(0, 3).map((f) => join(IMAGES, f)) : [];

  test('B = 2: three lines are padded with the last to two samples; each batch is its images, preprocessed as the Input says, stacked', async () => {
    const m = model(['data:2x3x16x16'], ATTRS);
    const list: SampleList = { kind: 'image', entries: jpgs.map((p) => [p]) };
    const data = calibrationData(list, m);
    expect(data.count).toBe(2);
    expect(data.headerSampleNumber).toBe(2);
    const samples = await collect(data.samples());
    expect(samples).toHaveLength(2);
    const cfg = preprocessFromInputOp(m.main.ops[0]!);
    const one = await Promise.all(jpgs.map((p) => preprocessImage(p, cfg, [1, 3, 16, 16])));
    const want = (a: number, b: number): Float32Array => Float32Array.from([...one[a]!.data, ...one[b]!.data]);
    expect(samples[0]!.get('data')!.shape).toEqual([2, 3, 16, 16]);
    expect(samples[0]!.get('data')!.data).toEqual(want(0, 1));
    expect(samples[1]!.get('data')!.data).toEqual(want(2, 2));
    // A second pass starts again from the first sample.
    expect((await collect(data.samples()))[0]!.get('data')!.data).toEqual(want(0, 1));
  });

  test('on the decoding thread: the same samples, bit for bit; stopping early ends the thread', async () => {
    const m = model(['data:2x3x16x16'], ATTRS);
    const list: SampleList = { kind: 'image', entries: jpgs.map((p) => [p]) };
    const here = await collect(calibrationData(list, m, { decodeThread: false }).samples());
    const threaded = await collect(calibrationData(list, m, { decodeThread: true }).samples());
    expect(threaded.map((s) => s.get('data')!.shape)).toEqual(here.map((s) => s.get('data')!.shape));
    expect(threaded.map((s) => s.get('data')!.data)).toEqual(here.map((s) => s.get('data')!.data));
    for await (const s of calibrationData(list, m, { decodeThread: true }).samples()) {
      expect(s.get('data')!.data).toEqual(here[0]!.get('data')!.data);
      break;
    }
  });

  test('limit caps the samples (tune / inference_num); the header number does not change', async () => {
    const data = calibrationData({ kind: 'image', entries: jpgs.map((p) => [p]) }, model(['data:1x3x16x16'], ATTRS), { limit: 2 });
    expect(data.count).toBe(2);
    expect(data.headerSampleNumber).toBe(3);
    expect(await collect(data.samples())).toHaveLength(2);
  });

  test('two image inputs: one path per input on each line', async () => {
    const m = model(['a:1x3x16x16', 'b:1x3x16x16'], ATTRS);
    const [s] = await collect(calibrationData({ kind: 'image', entries: [[jpgs[0]!, jpgs[1]!]] }, m).samples());
    expect([...s!.keys()]).toEqual(['a', 'b']);
    expect(s!.get('a')!.data).not.toEqual(s!.get('b')!.data);
    expect(() => calibrationData({ kind: 'image', entries: [[jpgs[0]!]] }, m)).toThrow(/names 1 file\(s\), the model has 2 input\(s\): a, b/);
  });
});

describe('image errors', () => {
  test('an unreadable image fails when its sample is reached, naming the file', async () => {
    const m = model(['data:1x3x8x8']);
    const data = calibrationData({ kind: 'image', entries: [[join(PRE, 'img37x23.png')], [join(PRE, 'not-an-image.png')]] }, m);
    const it = data.samples()[Symbol.asyncIterator]();
    expect((await it.next()).value.get('data').shape).toEqual([1, 3, 8, 8]);
    const e = await fails(it.next());
    expect(e.code).toBe('E_IMAGE');
    expect(e.message).toContain('not-an-image.png');
    const missing = await fails(collect(calibrationData({ kind: 'image', entries: [['/nonexistent/x.jpg']] }, m).samples()));
    expect(missing.code).toBe('E_IO');
    // the same errors from the decoding thread
    const threaded = await fails(collect(calibrationData({ kind: 'image', entries: [[join(PRE, 'not-an-image.png')]] }, m, { decodeThread: true }).samples()));
    expect(threaded.code).toBe('E_IMAGE');
    expect(threaded.message).toContain('not-an-image.png');
  });

  test('image data for a non-4-D input is refused up front', () => {
    expect(() => calibrationData({ kind: 'image', entries: [['x.jpg']] }, model(['tok:1x16']))).toThrow(/image data needs a 4-D/);
  });
});

describe('npz', () => {
  test('single input, B = 2: one-row files accumulate to a batch (any key); the remainder is dropped; a 2-row file is a sample as it is', async () => {
    const d = tmp();
    const rows = [0, 1, 2, 3, 4].map((k) => f32([1, 4], (i) => k * 10 + i));
    const paths: string[] = [];
    for (const [k, r] of rows.entries()) {
      paths.push(join(d, `r${k}.npz`));
      await saveNpz(paths[k]!, { [`key${k}`]: r });
    }
    paths.splice(2, 0, join(d, 'full.npz'));
    await saveNpz(paths[2]!, { x: f32([2, 4], (i) => 100 + i) });
    const data = calibrationData({ kind: 'npz', entries: paths.map((p) => [p]) }, model(['in:2x4']));
    expect(data.count).toBe(6); // not known before reading: the number of lines
    expect(data.headerSampleNumber).toBe(6);
    const got = (await collect(data.samples())).map((s) => [...s.get('in')!.data]);
    expect(got).toEqual([
      [0, 1, 2, 3, 10, 11, 12, 13],
      [100, 101, 102, 103, 104, 105, 106, 107],
      [20, 21, 22, 23, 30, 31, 32, 33],
    ]);
    expect(data.count).toBe(3); // exact after a full pass
  });

  test('B = 1: every file is a sample and the count is exact up front; one-row arrays become f32, a full batch keeps its dtype', async () => {
    const d = tmp();
    await saveNpz(join(d, 'a.npz'), { in: ndarray('i32', [1, 3], Int32Array.from([1, 2, 3])) });
    await saveNpz(join(d, 'b.npz'), { in: ndarray('i32', [2, 3], Int32Array.from([1, 2, 3, 4, 5, 6])) });
    const data = calibrationData({ kind: 'npz', entries: [[join(d, 'a.npz')]] }, model(['in:1x3']));
    expect(data.count).toBe(1);
    const [s] = await collect(data.samples());
    expect(s!.get('in')!.dtype).toBe('f32');
    expect([...s!.get('in')!.data]).toEqual([1, 2, 3]);
    const [t] = await collect(calibrationData({ kind: 'npz', entries: [[join(d, 'b.npz')]] }, model(['in:2x3'])).samples());
    expect(t!.get('in')!.dtype).toBe('i32');
  });

  test('multi-input: arrays are found by input name; a missing name lists what the file holds', async () => {
    const d = tmp();
    await saveNpz(join(d, 'ok.npz'), { a: f32([1, 2], (i) => i), b: f32([1, 3], (i) => i + 5), extra: f32([1], () => 0) });
    await saveNpz(join(d, 'bad.npz'), { a: f32([1, 2], (i) => i), c: f32([1, 3], (i) => i) });
    const m = model(['a:1x2', 'b:1x3']);
    const [s] = await collect(calibrationData({ kind: 'npz', entries: [[join(d, 'ok.npz')]] }, m).samples());
    expect([...s!.get('b')!.data]).toEqual([5, 6, 7]);
    const e = await fails(collect(calibrationData({ kind: 'npz', entries: [[join(d, 'bad.npz')]] }, m).samples()));
    expect(e.message).toBe(`${join(d, 'bad.npz')} has no array for input "b"`);
    expect(e.hint).toMatch(/it holds: a, c/);
  });

  test('a wrong shape names the file, the input, and expected vs actual; leading 1s are tolerated', async () => {
    const d = tmp();
    await saveNpz(join(d, 'wrong.npz'), { in: f32([1, 3, 5], () => 0) });
    await saveNpz(join(d, 'flat.npz'), { in: f32([1, 12], (i) => i) });
    await saveNpz(join(d, 'rank.npz'), { in: f32([3, 4], (i) => i) });
    const m = model(['in:1x3x4']);
    const e = await fails(collect(calibrationData({ kind: 'npz', entries: [[join(d, 'wrong.npz')]] }, m).samples()));
    expect(e.code).toBe('E_SHAPE');
    expect(e.message).toBe(`${join(d, 'wrong.npz')}: input "in" has shape [1,3,5], the model expects [1,3,4]`);
    await fails(collect(calibrationData({ kind: 'npz', entries: [[join(d, 'flat.npz')]] }, m).samples()));
    const [s] = await collect(calibrationData({ kind: 'npz', entries: [[join(d, 'rank.npz')]] }, model(['in:1x1x3x4'])).samples());
    expect(s!.get('in')!.shape).toEqual([1, 1, 3, 4]);
  });

  test('a single-input npz with several arrays needs one named after the input', async () => {
    const d = tmp();
    await saveNpz(join(d, 'two.npz'), { x: f32([1, 2], () => 1), y: f32([1, 2], () => 2) });
    await saveNpz(join(d, 'named.npz'), { x: f32([1, 2], () => 1), in: f32([1, 2], () => 2) });
    const m = model(['in:1x2']);
    const e = await fails(collect(calibrationData({ kind: 'npz', entries: [[join(d, 'two.npz')]] }, m).samples()));
    expect(e.message).toMatch(/holds 2 arrays \(x, y\); the model has one input, "in"/);
    const [s] = await collect(calibrationData({ kind: 'npz', entries: [[join(d, 'named.npz')]] }, m).samples());
    expect([...s!.get('in')!.data]).toEqual([2, 2]);
  });
});

describe('npy', () => {
  test('one file per input per line, used as they are', async () => {
    const d = tmp();
    await saveNpy(join(d, 'a0.npy'), f32([1, 2], (i) => i));
    await saveNpy(join(d, 'b0.npy'), f32([1, 3], (i) => 10 + i));
    const m = model(['a:1x2', 'b:1x3']);
    const data = calibrationData({ kind: 'npy', entries: [[join(d, 'a0.npy'), join(d, 'b0.npy')]] }, m);
    expect(data.count).toBe(1);
    const [s] = await collect(data.samples());
    expect([...s!.get('b')!.data]).toEqual([10, 11, 12]);
    const e = await fails(collect(calibrationData({ kind: 'npy', entries: [[join(d, 'b0.npy'), join(d, 'a0.npy')]] }, m).samples()));
    expect(e.message).toMatch(/b0\.npy: input "a" has shape \[1,3\], the model expects \[1,2\]/);
  });
});

test('prefetch runs ahead of the consumer and keeps order', async () => {
  const started: number[] = [];
  const it = prefetch(6, async (i) => {
    started.push(i);
    await new Promise((r) => setTimeout(r, (6 - i) * 3));
    return i;
  }, 3)[Symbol.asyncIterator]();
  expect((await it.next()).value).toBe(0);
  expect(started).toEqual([0, 1, 2, 3]);
  const rest: number[] = [];
  for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value);
  expect(rest).toEqual([1, 2, 3, 4, 5]);
});

test('prefetch: a failure ahead surfaces in its turn, not as an unhandled rejection', async () => {
  const it = prefetch(3, async (i) => {
    if (i === 1) throw new Error('boom');
    return i;
  }, 3)[Symbol.asyncIterator]();
  await new Promise((r) => setTimeout(r, 10));
  expect((await it.next()).value).toBe(0);
  await expect(it.next()).rejects.toThrow('boom');
});
