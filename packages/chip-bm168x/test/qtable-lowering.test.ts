// Mixed precision in convert-top-to-tpu (spec deploy.md §3.5-3.8): a qtable lowers some ops of an
// INT8 module in F16 / F32 and some ops of a calibrated float module in INT8, with casts where the
// types meet (§3.6 names); the outputs stay close to the float module; fp_type auto per chip;
// bad qtables; and strip-io-quant (quant_input / quant_output) with TPU-MLIR's input conversion.
import { describe, expect, it } from 'vitest';
import { f16, f32, getTarget, ndarray, parseMlir, printMlir, resolveMixFloatType, runPipeline, type Module, type NdArray, type TensorType } from '@tpu-quant/ir';
import { createSession } from '@tpu-quant/runtime';
import {
  checkQuantizeTable, floatModeOn, importCalibration, lowerTopToTpu, modelInputs, propagateCalibration, resolveOpModes, stripIoQuant,
  type CalibrationRow,
} from '../src/index.js';
import { rand, smallCnn } from './helpers.js';

const build = (): Module => smallCnn();

const input = rand(4 * 64, 7, 2);
const feed = (): Map<string, NdArray> => new Map([['x', ndarray('f32', [1, 4, 8, 8], input)]]);

async function run(m: Module, inputs = feed()) {
  const s = await createSession(m, { backend: 'js' });
  try {
    return await s.run(inputs, { capture: 'all' });
  } finally {
    await s.dispose();
  }
}

/** A calibration table from the float run on the input itself: threshold = max |x|. */
async function table(): Promise<CalibrationRow[]> {
  const r = await run(build());
  return [...r.tensors].map(([name, t]) => {
    const d = t.data as Float32Array;
    const mn = Math.min(...d);
    const mx = Math.max(...d);
    return { name, threshold: Math.max(-mn, mx), min: mn, max: mx };
  });
}

async function calibrated(rows?: CalibrationRow[]): Promise<Module> {
  const m = build();
  importCalibration(m, rows ?? (await table()));
  propagateCalibration(m);
  return m;
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += a[i]! * b[i]!; aa += a[i]! ** 2; bb += b[i]! ** 2; }
  return ab / Math.sqrt(aa * bb);
}

const opTypes = (m: Module): string[] => m.main.ops.map((o) => o.type).filter((t) => t !== 'top.Weight' && t !== 'top.None' && t !== 'func.return');
const byName = (m: Module, name: string) => m.main.ops.find((o) => o.name === name)!;
const elementOf = (m: Module, name: string): string => {
  const e = (byName(m, name).result().type as TensorType).element;
  return e.kind === 'quant.uniform' ? (e.storage.signedness === 'unsigned' ? 'u8' : 'i8') : e.kind === 'float' ? e.name : e.kind;
};
/** [cast name, input element, result element] of every tpu.Cast, in order. */
const castsOf = (m: Module) => m.main.ops.filter((o) => o.type === 'tpu.Cast').map((o) => [o.name, elementOf(m, o.operand(0).name!), elementOf(m, o.name!)]);

describe('convert-top-to-tpu with a qtable (mixed precision)', () => {
  it('INT8 module with c2 and sig in F16: those ops become f16 tpu ops, casts dequantize into them and quantize out', async () => {
    const ref = await run(build());
    const plain = await calibrated();
    lowerTopToTpu(plain, { chip: 'bm1684x', mode: 'INT8' });
    const m = await calibrated();
    const rep = lowerTopToTpu(m, { chip: 'bm1684x', mode: 'INT8', quantizeTable: new Map([['c2', 'F16'], ['sig', 'F16']]) });
    expect(rep.int8).toBe(6); // c1, c3, sum, pool, flat, fc
    expect(rep.floatTpu).toBe(2);
    expect(opTypes(m)).toEqual([
      'top.Input', 'tpu.Cast', 'tpu.Conv2D', 'tpu.Cast', 'tpu.Conv2D', 'tpu.Cast', 'tpu.Conv2D', 'tpu.Add', 'tpu.Cast', 'tpu.Active',
      'tpu.Cast', 'tpu.Pool2D', 'tpu.Reshape', 'tpu.MatMul', 'tpu.Cast',
    ]);
    expect(elementOf(m, 'c2')).toBe('f16');
    expect(elementOf(m, 'sig')).toBe('f16');
    expect(elementOf(m, 'c1')).toBe('u8'); // relu6 output: unsigned int8
    expect(elementOf(m, 'sum')).toBe('i8');
    // §3.6: `<producer>_<type>`; the f16 conv's filter is stored in f16, its bias stays f32
    expect(castsOf(m)).toEqual([
      ['x_i8', 'f32', 'i8'], ['c1_f16', 'u8', 'f16'], ['c2_i8', 'f16', 'i8'], ['sum_f16', 'i8', 'f16'], ['sig_u8', 'f16', 'u8'], ['fc_f32', 'i8', 'f32'],
    ]);
    const conv2 = byName(m, 'c2');
    expect(m.weights.get(conv2.operand(1).name!)!.dtype).toBe('f16');
    // the lowered module prints and parses back
    expect(parseMlir(printMlir(m), 'mixed').main.ops.length).toBe(m.main.ops.length);

    const got = await run(m);
    const mixed = got.outputs.get('fc_f32')!.data as Float32Array;
    const want = ref.outputs.get('fc')!.data as Float32Array;
    const int8Only = (await run(plain)).outputs.get('fc_f32')!.data as Float32Array;
    expect(cosine(mixed, want)).toBeGreaterThan(0.99);
    // the f16 ops compute what the float module computes, up to f16 rounding
    const c2 = got.tensors.get('c2')!.data as Float32Array;
    const c2In = got.tensors.get('c1_f16')!.data as Float32Array;
    expect([...c2In].every((v) => Math.fround(v) === v)).toBe(true);
    expect(cosine(c2, ref.tensors.get('c2')!.data as Float32Array)).toBeGreaterThan(0.995);
    console.log(`qtable c2,sig F16 in INT8: logits cosine vs float ${cosine(mixed, want).toFixed(6)} (all INT8: ${cosine(int8Only, want).toFixed(6)})`);
  });

  it('F32 entries in an INT8 module: f32 ops, with an f32 weight', async () => {
    const m = await calibrated();
    lowerTopToTpu(m, { chip: 'bm1684x', mode: 'INT8', quantizeTable: new Map([['c3', 'F32']]) });
    expect(elementOf(m, 'c3')).toBe('f32');
    expect(m.weights.get(byName(m, 'c3').operand(1).name!)!.dtype).toBe('f32');
    expect(castsOf(m)).toContainEqual(['c1_f32', 'u8', 'f32']);
    expect(castsOf(m)).toContainEqual(['c3_i8', 'f32', 'i8']);
  });

  it('a calibrated F16 module with c1 and sum in INT8: int8 tpu ops inside an f16 module', async () => {
    const ref = await run(build());
    const m = await calibrated();
    const rep = lowerTopToTpu(m, { chip: 'bm1684x', mode: 'F16', quantizeTable: new Map([['c1', 'INT8'], ['sum', 'INT8']]) });
    expect(rep.int8).toBe(2);
    expect(elementOf(m, 'c1')).toBe('u8');
    expect(elementOf(m, 'sum')).toBe('i8');
    expect(elementOf(m, 'c2')).toBe('f16');
    expect(castsOf(m)).toEqual([
      ['x_i8', 'f32', 'i8'], ['c1_f16', 'u8', 'f16'], ['c2_i8', 'f16', 'i8'], ['c3_i8', 'f16', 'i8'], ['sum_f16', 'i8', 'f16'],
      ['sig_f32', 'f16', 'f32'], ['pool_f16', 'f32', 'f16'], ['fc_f32', 'f16', 'f32'], // AvgPool computes in F32 in F16 mode
    ]);
    const got = await run(m);
    expect(cosine(got.outputs.get('fc_f32')!.data as Float32Array, ref.outputs.get('fc')!.data as Float32Array)).toBeGreaterThan(0.99);
  });

  it('an INT8 entry on a tensor the table leaves out falls back to float (no range: no INT8 form)', async () => {
    const rows = (await table()).filter((r) => r.name !== 'c3');
    const m = await calibrated(rows);
    const rep = lowerTopToTpu(m, { chip: 'bm1684x', mode: 'INT8' });
    expect(rep.float.get('top.Conv')).toBe(1);
    expect(byName(m, 'c3').type).toBe('tpu.Conv2D'); // the float lowering, as upstream's LoweringF16
    expect(elementOf(m, 'c3')).toBe('f16'); // the chip's mixing type
  });

  it('refuses names the module lacks, modes not lowered, and INT8 entries on an uncalibrated module', async () => {
    const m = await calibrated();
    expect(() => lowerTopToTpu(m, { chip: 'bm1684x', mode: 'INT8', quantizeTable: new Map([['c9', 'F16'], ['nope', 'F32']]) })).toThrow(
      expect.objectContaining({ code: 'E_QTABLE', message: expect.stringContaining('c9, nope') }),
    );
    expect(() => lowerTopToTpu(m, { chip: 'bm1684x', mode: 'INT8', quantizeTable: new Map([['c1', 'W8F16'], ['c2', 'INT4']]) })).toThrow(
      expect.objectContaining({ code: 'E_UNSUPPORTED_MODE', message: expect.stringMatching(/W8F16 \(c1\); INT4 \(c2\)/) }),
    );
    const f = build();
    expect(() => lowerTopToTpu(f, { chip: 'bm1684x', mode: 'F16', quantizeTable: new Map([['c1', 'INT8']]) })).toThrow(
      expect.objectContaining({ code: 'E_MODULE_STATE', message: expect.stringContaining('INT8 ops in the qtable') }),
    );
    // a qtable entry for the input changes nothing, and is reported as such
    const check = checkQuantizeTable(build(), new Map([['x', 'F32'], ['c1', 'F16'], ['zz', 'F16']]));
    expect(check).toEqual({ unknown: ['zz'], noEffect: ['x'], byMode: new Map([['F16', ['c1']]]) });
  });

  it('fp_type auto is the chip\'s FLOAT_MAP entry; explicit types must be ones the chip mixes; float entries follow the chip', () => {
    expect(resolveMixFloatType('bm1684x')).toBe('F16');
    expect(resolveMixFloatType('bm1688', 'auto')).toBe('F16');
    expect(resolveMixFloatType('cv186x')).toBe('F16');
    expect(resolveMixFloatType('bm1690')).toBe('F16');
    expect(resolveMixFloatType('bm1684')).toBe('F32');
    expect(resolveMixFloatType('cv183x')).toBe('BF16');
    expect(resolveMixFloatType('bm1684x', 'f32')).toBe('F32');
    expect(() => resolveMixFloatType('bm1684x', 'BF16')).toThrow(expect.objectContaining({ code: 'E_FP_TYPE', hint: expect.stringContaining('F16, F32') }));
    expect(() => resolveMixFloatType('bm1684', 'F16')).toThrow(expect.objectContaining({ code: 'E_FP_TYPE' }));
    expect(() => resolveMixFloatType('bm1690', 'F16')).toThrow(expect.objectContaining({ code: 'E_FP_TYPE' }));
    // CV18xx reads F32/F16 entries as BF16 (init_qtable); BM1684 has only F32: F16 entries are refused
    expect(floatModeOn(getTarget('cv183x'), 'F16')).toBe('BF16');
    expect(floatModeOn(getTarget('cv183x'), 'F32')).toBe('BF16');
    expect(floatModeOn(getTarget('bm1684'), 'F16')).toBeUndefined();
    expect(floatModeOn(getTarget('bm1684'), 'F32')).toBe('F32');
    expect(floatModeOn(getTarget('bm1684x'), 'BF16')).toBe('BF16');
    expect(() => resolveOpModes(build(), 'bm1684', 'F32', new Map([['c1', 'F16']]))).toThrow(
      expect.objectContaining({ code: 'E_UNSUPPORTED_MODE', message: 'bm1684 has no F16: qtable entries c1' }),
    );
  });
});

describe('strip-io-quant (quant_input / quant_output)', () => {
  it('INT8: the input takes int8 codes, the output stays int8; fed as TPU-MLIR feeds it, the outputs equal the unstripped module\'s', async () => {
    const m = await calibrated();
    lowerTopToTpu(m, { chip: 'bm1684x', mode: 'INT8' });
    const full = await run(m);
    const r = stripIoQuant(m, { quantInput: true, quantOutput: true });
    expect(r).toEqual({ inputs: [{ name: 'x', type: 'i8' }], outputs: [{ name: 'fc', type: 'i8' }] });
    expect(castsOf(m)).toEqual([]);
    expect(m.main.args[0]!.type).toEqual(byName(m, 'x').result().type);
    expect(m.main.resultTypes[0]).toBe(byName(m, 'fc').result().type);
    const text = printMlir(m);
    expect(parseMlir(text, 'opt').main.ops.length).toBe(m.main.ops.length);

    const fed = modelInputs(m, feed());
    expect(fed.get('x')!.dtype).toBe('i8');
    // q = clip(round_half_away(x / S), -128, 127): the codes the removed cast made
    expect(Array.from(fed.get('x')!.data as Int8Array)).toEqual(Array.from(full.tensors.get('x_i8')!.data as Float32Array));
    const got = await run(m, fed);
    expect(Array.from(got.outputs.get('fc')!.data as Float32Array)).toEqual(Array.from(full.tensors.get('fc')!.data as Float32Array));
  });

  it('F16: the input takes f16 (round to nearest even), bf16 truncates; f32 I/O has nothing to strip', async () => {
    const m = build();
    lowerTopToTpu(m, { chip: 'bm1684x', mode: 'F16' });
    const full = await run(m);
    expect(stripIoQuant(m, { quantInput: true })).toEqual({ inputs: [{ name: 'x', type: 'f16' }], outputs: [] });
    const fed = modelInputs(m, feed());
    expect(fed.get('x')!.dtype).toBe('f16');
    const got = await run(m, fed);
    expect(Array.from(got.outputs.get('fc_f32')!.data as Float32Array)).toEqual(Array.from(full.outputs.get('fc_f32')!.data as Float32Array));

    const b = build();
    lowerTopToTpu(b, { chip: 'bm1684x', mode: 'BF16' });
    stripIoQuant(b, { quantInput: true });
    const bits = modelInputs(b, new Map([['x', ndarray('f32', [1, 4, 8, 8], Float32Array.from(input, (_, i) => (i === 0 ? 1.00390625 + 2 ** -9 : input[i]!)))]])).get('x')!;
    expect(bits.dtype).toBe('bf16');
    expect((bits.data as Uint16Array)[0]).toBe(0x3f80); // 1 + 2^-8 + 2^-9 truncated, not rounded up to 0x3f81

    const f = build();
    lowerTopToTpu(f, { chip: 'bm1684x', mode: 'F32' });
    expect(stripIoQuant(f, { quantInput: true, quantOutput: true })).toEqual({ inputs: [], outputs: [] });
    expect(byName(f, 'x').result().type).toEqual(expect.objectContaining({ element: f32 }));
  });

  it('is registered as a pass with TPU-MLIR\'s option names', async () => {
    const m = await calibrated();
    lowerTopToTpu(m, { chip: 'bm1684x', mode: 'INT8' });
    await runPipeline(m, 'strip-io-quant{quant_input=true quant_output=false}');
    expect(elementOf(m, 'x')).toBe('i8');
    expect(castsOf(m)).toEqual([['fc_f32', 'i8', 'f32']]);
    expect(byName(m, 'c2').result().type).not.toEqual(expect.objectContaining({ element: f16 }));
  });
});
