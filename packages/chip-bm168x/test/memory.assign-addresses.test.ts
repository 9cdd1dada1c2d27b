// assignAddresses on a small hand-checked module: coefficient layout and blob, liveness with an
// in-place Reshape, neuron start per chip, basic and io_alone modes, addresses in the IR text,
// the address-assign pass, and the checker catching planted faults.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSession } from '@tpu-quant/runtime';
import { f32, i8, ndarray, parseMlir, printMlir, runPipeline, tensorType, verifyModule, type Module } from '@tpu-quant/ir';
import { addressOf, assignAddresses, checkMemoryPlan, gmemBytes, memoryPlanOf, type MemoryPlan } from '../src/index.js';
import { Graph, top } from './helpers.js';

const G4 = 0x1_0000_0000;
const P = 0x1000;

/** x -> conv(w) -> reshape -> relu -> relu -> return; ops: None 0, x 1, w 2, c 3, r 4, s 5, t 6, return 7. */
function build(chip = 'bm1684x'): Module {
  const g = new Graph([1, 2, 4, 4]);
  const w = g.weight('w', ndarray('f32', [2, 2, 1, 1], new Float32Array([1, 2, 3, 4])));
  const c = top.conv(g.b, { input: g.x, filter: w }, { kernel_shape: [1, 1] }, { loc: 'c' }).result();
  const r = top.reshape(g.b, { input: c }, { shape: [1, 32] }, { loc: 'r', resultType: tensorType([1, 32], f32) }).result();
  const s = top.relu(g.b, { input: r }, {}, { loc: 's' }).result();
  const t = top.relu(g.b, { input: s }, {}, { loc: 't' }).result();
  const m = g.finish(t).module;
  m.attrs.set('module.state', { kind: 'string', value: 'TPU_LOWERED' });
  m.attrs.set('module.chip', { kind: 'string', value: chip });
  return m;
}

function value(plan: MemoryPlan, name: string) {
  const v = plan.values.find((x) => x.name === name);
  if (!v) throw new Error(`no ${name}`);
  return v;
}

function intAttr(m: Module, name: string): number {
  const a = m.attrs.get(name);
  return a?.kind === 'int' ? Number(a.value) : NaN;
}

describe('assignAddresses', () => {
  it('lays out coefficients, reuses activations, aliases the reshape (bm1684x, basic)', () => {
    const m = build();
    const plan = assignAddresses(m);
    checkMemoryPlan(plan);
    verifyModule(m);
    // One 16-byte weight at COEFF_START, padded to a page; the blob is its bytes then zeros.
    expect(plan.coeff).toMatchObject({ addr: G4, size: P, weights: [{ name: 'w', addr: G4, offset: 0, bytes: 16 }] });
    const blob = new Uint8Array(P);
    blob.set(new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer));
    expect(plan.coeff.blob).toEqual(blob);
    expect(plan.coeff.sha256).toBe(createHash('sha256').update(blob).digest('hex'));
    // Neurons after the coefficients. x always live @0; c [3,6) (the reshape's reader s is op 5)
    // @1; s [5,7) @2; t [6,8) takes c's freed page @1. Both strategies need 3 pages: FitFirst.
    const base = G4 + P;
    expect(plan.neuron).toEqual({ addr: base, size: 3 * P });
    expect(plan.allocator).toBe('FitFirstAssign');
    expect(plan.totals).toEqual({ FitFirstAssign: 3 * P, OpSizeOrderAssign: 3 * P });
    expect(value(plan, 'x')).toMatchObject({ addr: base, size: P, bytes: 128, live: { start: 0, end: 0xffffffff } });
    expect(value(plan, 'c')).toMatchObject({ addr: base + P, live: { start: 3, end: 6 } });
    expect(value(plan, 'r')).toMatchObject({ addr: base + P, size: 0, inPlaceOf: 'c' });
    expect(value(plan, 's')).toMatchObject({ addr: base + 2 * P, live: { start: 5, end: 7 } });
    expect(value(plan, 't')).toMatchObject({ addr: base + P, live: { start: 6, end: 8 } });
    expect(plan.inputs).toEqual([{ name: 'x', addr: base, bytes: 128, shape: [1, 2, 4, 4], store: '1N' }]);
    expect(plan.outputs).toEqual([{ name: 't', addr: base + P, bytes: 128, shape: [1, 32], store: '1N' }]);
    expect(plan.io).toBeUndefined();
    // Module attributes, and the addresses in the types as TPU-MLIR prints them.
    expect([intAttr(m, 'module.coeff_addr'), intAttr(m, 'module.coeff_size'), intAttr(m, 'module.neuron_addr'), intAttr(m, 'module.neuron_size')]).toEqual([G4, P, base, 3 * P]);
    const text = printMlir(m);
    expect(text).toContain(`tensor<2x2x1x1xf32, ${G4} : i64>`);
    expect(text).toContain(`tensor<1x32xf32, ${base + P} : i64>`);
    expect(text).toContain(`module.neuron_addr = ${base} : i64`);
    expect(text).toMatch(new RegExp(`@main\\(%arg0: tensor<1x2x4x4xf32, ${base} : i64>`));
    const back = parseMlir(text, 't.mlir');
    expect(printMlir(back)).toBe(text);
    const names = new Map(back.main.ops.flatMap((op) => op.results.map((r) => [r.name, addressOf(r)] as const)));
    expect(names.get('s')).toBe(base + 2 * P);
    expect(names.get('w')).toBe(G4);
  });

  it('starts neurons at the ACTIVATION tag and coefficients at the WEIGHT tag on bm1688', () => {
    const plan = assignAddresses(build('bm1688'));
    checkMemoryPlan(plan);
    expect(plan.coeff.addr).toBe(2 ** 39 + 2 ** 36);
    expect(plan.neuron.addr).toBe(2 ** 39 + 2 * 2 ** 36);
    expect(plan.neuron.size).toBe(3 * P);
  });

  it('io_alone: inputs and outputs in their own region, always live', () => {
    const m = build();
    const plan = assignAddresses(m, { addrMode: 'io_alone' });
    checkMemoryPlan(plan);
    const base = G4 + P;
    expect(plan.io).toEqual({ addr: base, size: 2 * P });
    expect(value(plan, 'x')).toMatchObject({ addr: base, region: 'io' });
    expect(value(plan, 't')).toMatchObject({ addr: base + P, region: 'io', live: { start: 0, end: 0xffffffff } });
    // c [3,6) and s [5,7) overlap: two pages after the IO region.
    expect(plan.neuron).toEqual({ addr: base + 2 * P, size: 2 * P });
    expect([intAttr(m, 'module.io_addr'), intAttr(m, 'module.io_size')]).toEqual([base, 2 * P]);
    // Tagged chip: IO at the first IO tag, neurons at the activation tag.
    const tagged = assignAddresses(build('bm1688'), { addrMode: 'io_alone' });
    checkMemoryPlan(tagged);
    expect(tagged.io).toEqual({ addr: 2 ** 39 + 3 * 2 ** 36, size: 2 * P });
    expect(tagged.neuron).toEqual({ addr: 2 ** 39 + 2 * 2 ** 36, size: 2 * P });
  });

  it('without reuse every buffer has its own pages', () => {
    const plan = assignAddresses(build(), { reuse: false });
    checkMemoryPlan(plan);
    expect(plan.neuron.size).toBe(4 * P);
  });

  it('runs as the address-assign pass and keeps the plan', async () => {
    const m = build();
    await runPipeline(m, 'address-assign{addr_mode=io_alone}');
    expect(memoryPlanOf(m)?.io?.size).toBe(2 * P);
    expect(intAttr(m, 'module.io_size')).toBe(2 * P);
  });

  it('leaves a module the runtime computes the same with and without addresses', async () => {
    const x = { x: ndarray('f32', [1, 2, 4, 4], Float32Array.from({ length: 32 }, (_, i) => i - 15)) };
    const m = build();
    const before = await (await createSession(m, { backend: 'js' })).run(x);
    assignAddresses(m);
    const back = parseMlir(printMlir(m), 'a.mlir');
    back.weights = m.weights;
    const after = await (await createSession(back, { backend: 'js' })).run(x);
    expect([...after.outputs.get('t')!.data]).toEqual([...before.outputs.get('t')!.data]);
  });

  it('refuses a module that is not lowered, naming the state', () => {
    const m = build();
    m.attrs.set('module.state', { kind: 'string', value: 'TOP_F32' });
    expect(() => assignAddresses(m)).toThrow(expect.objectContaining({ code: 'E_NOT_LOWERED' }));
  });

  it('BM1684: a Reshape changing the int8 batch is a copy (4N), one keeping it is in place', () => {
    const m = parseMlir(
      `module @m attributes {module.chip = "bm1684", module.state = "TPU_LOWERED"} {
  func.func @main(%arg0: tensor<2x3x4x4xi8>) -> tensor<1x96xi8> {
    %0 = "top.Input"(%arg0) : (tensor<2x3x4x4xi8>) -> tensor<2x3x4x4xi8> loc("x")
    %1 = "tpu.Reshape"(%0) {shape = [1, 6, 4, 4]} : (tensor<2x3x4x4xi8>) -> tensor<1x6x4x4xi8> loc("r")
    %2 = "tpu.Reshape"(%1) {shape = [1, 96]} : (tensor<1x6x4x4xi8>) -> tensor<1x96xi8> loc("r2")
    %3 = "top.Weight"() : () -> tensor<1x96xi8> loc("unused_w")
    return %2 : tensor<1x96xi8>
  }
}`,
      'm.mlir',
    );
    const plan = assignAddresses(m);
    checkMemoryPlan(plan);
    expect(plan.coeff).toMatchObject({ addr: G4 + 0x5000000 + 0x100000, size: 0, weights: [] });
    expect(value(plan, 'x')).toMatchObject({ bytes: 4 * 48, addr: plan.neuron.addr });
    expect(value(plan, 'r')).toMatchObject({ bytes: 4 * 96, addr: plan.neuron.addr + P });
    expect(value(plan, 'r2')).toMatchObject({ inPlaceOf: 'r', addr: plan.neuron.addr + P });
    expect(plan.outputs).toEqual([{ name: 'r2', addr: plan.neuron.addr + P, bytes: 4 * 96, shape: [1, 96], store: '4N' }]);
  });

  it('places the inputs of an only_merge Concat inside its output when the axis allows it', () => {
    const text = (axis: number, out: string) => `module @m attributes {module.chip = "bm1684x", module.state = "TPU_LOWERED"} {
  func.func @main(%arg0: tensor<1x2x4x4xf32>) -> ${out} {
    %0 = "top.Input"(%arg0) : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> loc("x")
    %1 = "top.Relu"(%0) : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> loc("a")
    %2 = "top.Relu"(%0) : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> loc("b")
    %3 = "tpu.Concat"(%1, %2) {axis = ${axis} : si32, only_merge = true} : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> ${out} loc("c")
    %4 = "top.Relu"(%3) : (${out}) -> ${out} loc("d")
    return %4 : ${out}
  }
}`;
    const m = parseMlir(text(1, 'tensor<1x4x4x4xf32>'), 'm.mlir');
    verifyModule(m);
    const plan = assignAddresses(m);
    checkMemoryPlan(plan);
    const base = G4; // no weights: neurons start at COEFF_START
    // x always live @0; c's buffer lives from a (op 1) to d (op 4): [1,5) @1; d [4,6) @2.
    expect(value(plan, 'c')).toMatchObject({ addr: base + P, size: P, live: { start: 1, end: 5 } });
    expect(value(plan, 'a')).toMatchObject({ addr: base + P, inPlaceOf: 'c', bytes: 128 });
    expect(value(plan, 'b')).toMatchObject({ addr: base + P + 128, inPlaceOf: 'c', bytes: 128 });
    expect(plan.neuron.size).toBe(3 * P);
    // Along axis 2 the slices are not contiguous (dims before it are not all 1): a real copy.
    const copy = assignAddresses(parseMlir(text(2, 'tensor<1x2x8x4xf32>'), 'm.mlir'));
    checkMemoryPlan(copy);
    expect(value(copy, 'a').inPlaceOf).toBeUndefined();
    expect(copy.neuron.size).toBe(4 * P);
  });

  it('keeps an unread value live for the whole run', () => {
    const g = new Graph([1, 2, 4, 4]);
    const a = top.relu(g.b, { input: g.x }, {}, { loc: 'a' }).result();
    top.relu(g.b, { input: a }, {}, { loc: 'dangling' });
    const b = top.relu(g.b, { input: a }, {}, { loc: 'b' }).result();
    const m = g.finish(b).module;
    m.attrs.set('module.state', { kind: 'string', value: 'TPU_LOWERED' });
    m.attrs.set('module.chip', { kind: 'string', value: 'bm1684x' });
    const plan = assignAddresses(m);
    checkMemoryPlan(plan);
    expect(value(plan, 'dangling').live).toEqual({ start: 0, end: 0xffffffff });
    expect(value(plan, 'a').live).toEqual({ start: 1, end: 4 }); // x 0, a 1, dangling 2, b 3, return 4
    // x, a, dangling are live together with b: four pages.
    expect(plan.neuron.size).toBe(4 * P);
  });

  it('BM1684 stores int8 4N: the batch is rounded up to 4', () => {
    expect(gmemBytes(tensorType([1, 3, 4, 4], i8), true)).toBe(4 * 48);
    expect(gmemBytes(tensorType([1, 3, 4, 4], i8), false)).toBe(48);
    expect(gmemBytes(tensorType([1, 3, 4, 4], f32), true)).toBe(192);
  });
});

describe('checkMemoryPlan', () => {
  const plan = assignAddresses(build());
  const withValue = (name: string, change: object): MemoryPlan => ({
    ...plan,
    values: plan.values.map((v) => (v.name === name ? { ...v, ...change } : v)),
  });

  it('accepts reuse between tensors that are not live together', () => {
    expect(value(plan, 'c').addr).toBe(value(plan, 't').addr);
    expect(() => checkMemoryPlan(plan)).not.toThrow();
  });

  it('catches two live tensors sharing bytes, naming both', () => {
    const bad = withValue('s', { addr: value(plan, 'c').addr + 0 });
    expect(() => checkMemoryPlan(bad)).toThrow(expect.objectContaining({ code: 'E_MEMORY_OVERLAP', message: expect.stringMatching(/"c".*"s"|"s".*"c"/) }));
  });

  it('catches an overlap with the always-live input', () => {
    const bad = withValue('t', { addr: value(plan, 'x').addr });
    expect(() => checkMemoryPlan(bad)).toThrow(expect.objectContaining({ code: 'E_MEMORY_OVERLAP', message: expect.stringMatching(/"x".*"t"|"t".*"x"/) }));
  });

  it('catches misalignment and coefficient overlap', () => {
    expect(() => checkMemoryPlan(withValue('s', { addr: value(plan, 's').addr + 64 }))).toThrow(expect.objectContaining({ code: 'E_MEMORY_MISALIGNED' }));
    const twoWeights: MemoryPlan = {
      ...plan,
      coeff: { ...plan.coeff, size: 2 * P, weights: [...plan.coeff.weights, { name: 'w2', addr: G4, offset: 0, bytes: 8 }] },
      neuron: { ...plan.neuron, addr: plan.neuron.addr + P },
      values: plan.values.map((v) => ({ ...v, addr: v.addr + P })),
    };
    expect(() => checkMemoryPlan(twoWeights)).toThrow(expect.objectContaining({ code: 'E_MEMORY_OVERLAP', message: expect.stringMatching(/"w".*"w2"|"w2".*"w"/) }));
  });

  it('catches an in-place result outside its buffer', () => {
    const bad = withValue('r', { addr: value(plan, 's').addr });
    expect(() => checkMemoryPlan(bad)).toThrow(expect.objectContaining({ code: 'E_MEMORY_OVERLAP', message: expect.stringMatching(/"r".*"c"/) }));
  });

  it('catches neurons overlapping the coefficients', () => {
    const bad: MemoryPlan = { ...plan, neuron: { ...plan.neuron, addr: G4 } };
    expect(() => checkMemoryPlan(bad)).toThrow(expect.objectContaining({ code: 'E_MEMORY_OVERLAP' }));
  });
});
