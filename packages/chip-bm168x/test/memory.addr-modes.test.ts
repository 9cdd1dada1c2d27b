// Address modes (io_tag, io_tag_fuse, io_reloc, auto, refusals) and fusible Slices in place, on
// small modules whose addresses are worked out by hand in the comments; the checker accepts every
// layout (each IO tag is its own address space) and still catches overlaps planted into them.
import { describe, expect, it } from 'vitest';
import { getTarget, parseMlir, printMlir, type Module } from '@tpu-quant/ir';
import { addressOf, assignAddresses, checkMemoryPlan, fusibleSliceOffset, resolveAddrMode, supportedAddrModes, type MemoryPlan, type ValuePlacement } from '../src/index.js';

const G4 = 0x1_0000_0000;
const P = 0x1000;
const BM1688 = 2 ** 39;
const TAG = (k: number) => BM1688 + (3 + k) * 2 ** 36; // IO_ADDR[k] on bm1688
const CTX1688 = BM1688 + 2 * 2 ** 36;

/**
 * Two inputs, five outputs. Bytes: a 256, b 8192, o1 256, o2 8192, o3 256 (Reshape of a),
 * o4 256, o5 8192 (Relu of rb, a Reshape of b). Ops: a 0, b 1, o1 2, o2 3, o3 4, o4 5, rb 6,
 * o5 7, return 8.
 */
function ioModule(chip: string): Module {
  return parseMlir(
    `module @io attributes {module.chip = "${chip}", module.state = "TPU_LOWERED"} {
  func.func @main(%arg0: tensor<1x64xf32>, %arg1: tensor<1x2048xf32>) -> (tensor<1x64xf32>, tensor<1x2048xf32>, tensor<8x8xf32>, tensor<1x64xf32>, tensor<1x1x2048xf32>) {
    %0 = "top.Input"(%arg0) : (tensor<1x64xf32>) -> tensor<1x64xf32> loc("a")
    %1 = "top.Input"(%arg1) : (tensor<1x2048xf32>) -> tensor<1x2048xf32> loc("b")
    %2 = "top.Relu"(%0) : (tensor<1x64xf32>) -> tensor<1x64xf32> loc("o1")
    %3 = "top.Relu"(%1) : (tensor<1x2048xf32>) -> tensor<1x2048xf32> loc("o2")
    %4 = "tpu.Reshape"(%0) : (tensor<1x64xf32>) -> tensor<8x8xf32> loc("o3")
    %5 = "top.Relu"(%2) : (tensor<1x64xf32>) -> tensor<1x64xf32> loc("o4")
    %6 = "tpu.Reshape"(%1) : (tensor<1x2048xf32>) -> tensor<1x1x2048xf32> loc("rb")
    %7 = "top.Relu"(%6) : (tensor<1x1x2048xf32>) -> tensor<1x1x2048xf32> loc("o5")
    return %2, %3, %4, %5, %7 : tensor<1x64xf32>, tensor<1x2048xf32>, tensor<8x8xf32>, tensor<1x64xf32>, tensor<1x1x2048xf32>
  }
}`,
    'io.mlir',
  );
}

function value(plan: MemoryPlan, name: string): ValuePlacement {
  const v = plan.values.find((x) => x.name === name);
  if (!v) throw new Error(`no ${name}`);
  return v;
}

function io(plan: MemoryPlan, name: string) {
  return [...plan.inputs, ...plan.outputs].find((t) => t.name === name)!;
}

/** The plan with one value replaced (a planted fault). */
function plant(plan: MemoryPlan, name: string, change: Partial<ValuePlacement>): MemoryPlan {
  return { ...plan, values: plan.values.map((v) => (v.name === name ? { ...v, ...change } : v)) };
}

describe('addr_mode io_tag', () => {
  it('puts the five largest IO tensors at IO_ADDR[0..4], largest first, the rest in neuron memory', () => {
    const m = ioModule('bm1688');
    const plan = assignAddresses(m, { addrMode: 'io_tag' });
    checkMemoryPlan(plan);
    // By bytes: b, o2, o5 (8192) then a, o1 (256; ties keep inputs-then-outputs order); o3, o4 untagged.
    expect(['b', 'o2', 'o5', 'a', 'o1'].map((n) => io(plan, n))).toMatchObject([0, 1, 2, 3, 4].map((k) => ({ addr: TAG(k), tag: k })));
    expect(value(plan, 'b')).toMatchObject({ region: 'io_tag', tag: 0, addr: TAG(0), size: 2 * P });
    // In-place results of tagged inputs stay inside them (o3 aliases a at tag 3, rb aliases b at tag 0).
    expect(value(plan, 'o3')).toMatchObject({ addr: TAG(3), inPlaceOf: 'a' });
    expect(io(plan, 'o3')).toMatchObject({ addr: TAG(3) });
    expect(io(plan, 'o3').tag).toBe(3);
    expect(value(plan, 'rb')).toMatchObject({ addr: TAG(0), inPlaceOf: 'b' });
    // Only o4 [5,9) is left for the neuron region (activation tag).
    expect(value(plan, 'o4')).toMatchObject({ region: 'neuron', addr: CTX1688 });
    expect(plan.neuron).toEqual({ addr: CTX1688, size: P });
    expect(plan.ioTags).toEqual([
      { tag: 0, addr: TAG(0), size: 2 * P },
      { tag: 1, addr: TAG(1), size: 2 * P },
      { tag: 2, addr: TAG(2), size: 2 * P },
      { tag: 3, addr: TAG(3), size: P },
      { tag: 4, addr: TAG(4), size: P },
    ]);
    // The addresses are in the IR as well.
    const back = parseMlir(printMlir(m), 'b.mlir');
    const o2 = back.main.ops.find((op) => op.name === 'o2')!.result(0);
    expect(addressOf(o2)).toBe(TAG(1));
  });

  it('the checker still catches two tagged tensors at one tag and a tagged tensor outside its tag', () => {
    const plan = assignAddresses(ioModule('bm1688'), { addrMode: 'io_tag' });
    expect(() => checkMemoryPlan(plant(plan, 'o2', { addr: TAG(0), tag: 0 }))).toThrow(expect.objectContaining({ code: 'E_MEMORY_OVERLAP' }));
    expect(() => checkMemoryPlan(plant(plan, 'o1', { addr: TAG(4) + P }))).toThrow(/leaves its region/);
  });
});

describe('addr_mode io_tag_fuse', () => {
  it('packs the inputs at IO tag 0 and the outputs at IO tag 1, unaligned, keeping their neuron pages', () => {
    const plan = assignAddresses(ioModule('cv186x'), { addrMode: 'io_tag_fuse' });
    checkMemoryPlan(plan);
    // a 256 then b; o1 256, o2 8192, o3 256 (its own buffer: a tagged output is never an alias), o4 256, o5.
    expect(plan.inputs.map((t) => [t.name, t.addr - TAG(0), t.tag])).toEqual([['a', 0, 0], ['b', 256, 0]]);
    expect(plan.outputs.map((t) => [t.name, t.addr - TAG(1), t.tag])).toEqual([['o1', 0, 1], ['o2', 256, 1], ['o3', 8448, 1], ['o4', 8704, 1], ['o5', 8960, 1]]);
    expect(value(plan, 'o3').inPlaceOf).toBeUndefined();
    expect(value(plan, 'rb')).toMatchObject({ addr: TAG(0) + 256, inPlaceOf: 'b' });
    expect(plan.ioTags).toEqual([{ tag: 0, addr: TAG(0), size: 8448 }, { tag: 1, addr: TAG(1), size: 8960 + 8192 }]);
    // Every IO buffer was allocated first (upstream overwrites the addresses afterwards): all seven
    // are live at ops 7..8, 1+2+1+2+1+1+2 pages.
    expect(plan.neuron).toEqual({ addr: CTX1688, size: 10 * P });
  });

  it('the checker catches an output moved into its neighbour', () => {
    const plan = assignAddresses(ioModule('bm1688'), { addrMode: 'io_tag_fuse' });
    expect(() => checkMemoryPlan(plant(plan, 'o2', { addr: TAG(1) + 128 }))).toThrow(expect.objectContaining({ code: 'E_MEMORY_OVERLAP' }));
  });
});

describe('addr_mode io_reloc', () => {
  it('moves every IO tensor to its own slot after the neurons, with its in-place results', () => {
    const m = ioModule('bm1684x');
    const plan = assignAddresses(m, { addrMode: 'io_reloc' });
    checkMemoryPlan(plan);
    // IO always live (outputs too, as io_alone): 10 pages of neurons from G4 (no weights), then
    // a, b, o1, o2, o3, o4, o5 relocated one after another.
    const slot = { a: 10, b: 11, o1: 13, o2: 14, o3: 16, o4: 17, o5: 18 };
    for (const [n, k] of Object.entries(slot)) expect(io(plan, n).addr, n).toBe(G4 + k * P);
    expect(value(plan, 'rb')).toMatchObject({ addr: G4 + 11 * P, inPlaceOf: 'b' });
    expect(value(plan, 'o2').live).toEqual({ start: 0, end: 0xffffffff });
    expect(plan.neuron).toEqual({ addr: G4, size: 20 * P });
    expect(plan.io).toBeUndefined();
  });
});

describe('addr_mode resolution', () => {
  it('auto is basic, and each chip lists what it can do', () => {
    expect(resolveAddrMode('auto', getTarget('bm1688'))).toBe('basic');
    expect(assignAddresses(ioModule('bm1684x'), { addrMode: 'auto' }).addrMode).toBe('basic');
    expect(supportedAddrModes(getTarget('bm1684'))).toEqual(['basic', 'io_reloc']);
    expect(supportedAddrModes(getTarget('bm1684x'))).toEqual(['basic', 'io_alone', 'io_reloc']);
    expect(supportedAddrModes(getTarget('bm1688'))).toEqual(['basic', 'io_alone', 'io_tag', 'io_tag_fuse', 'io_reloc']);
    expect(supportedAddrModes(getTarget('cv186x'))).toEqual(supportedAddrModes(getTarget('bm1688')));
    expect(supportedAddrModes(getTarget('bm1690'))).toEqual(['basic', 'io_reloc']);
  });

  it('refuses a mode the chip cannot do, naming mode, chip and the modes it can do', () => {
    let err: unknown;
    try {
      assignAddresses(ioModule('bm1684x'), { addrMode: 'io_tag' });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'E_ADDR_MODE', message: 'addr_mode io_tag is not supported on bm1684x', hint: 'bm1684x can do: auto, basic, io_alone, io_reloc' });
    expect(() => assignAddresses(ioModule('bm1684'), { addrMode: 'io_alone' })).toThrow(/io_alone is not supported on bm1684/);
    expect(() => assignAddresses(ioModule('bm1690'), { addrMode: 'io_tag_fuse' })).toThrow(expect.objectContaining({ code: 'E_ADDR_MODE' }));
    expect(() => resolveAddrMode('io_fast', getTarget('bm1688'))).toThrow(/unknown addr_mode "io_fast"/);
  });
});

/** x [1,6,4,4] f32 -> relu a -> Slice s (channels from `offset`) -> relu b. Ops: x 0, a 1, s 2, b 3, return 4. */
function sliceModule(chip: string, offset: string, steps = '[1, 1, 1, 1]', out = '1x3x4x4', el = 'f32', axes = '[]'): Module {
  return parseMlir(
    `module @s attributes {module.chip = "${chip}", module.state = "TPU_LOWERED"} {
  func.func @main(%arg0: tensor<1x6x4x4x${el}>) -> tensor<${out}x${el}> {
    %0 = "top.Input"(%arg0) : (tensor<1x6x4x4x${el}>) -> tensor<1x6x4x4x${el}> loc("x")
    %1 = "top.Relu"(%0) : (tensor<1x6x4x4x${el}>) -> tensor<1x6x4x4x${el}> loc("a")
    %2 = "tpu.Slice"(%1) {axes = ${axes}, ends = [], offset = ${offset}, steps = ${steps}} : (tensor<1x6x4x4x${el}>) -> tensor<${out}x${el}> loc("s")
    %3 = "top.Relu"(%2) : (tensor<${out}x${el}>) -> tensor<${out}x${el}> loc("b")
    return %3 : tensor<${out}x${el}>
  }
}`,
    's.mlir',
  );
}

describe('fusible Slice in place', () => {
  const sliceOp = (m: Module) => m.main.ops.find((op) => op.type === 'tpu.Slice')!;

  it('decides fusible as parseParam does: steps 1, one cut axis, only 1s before it', () => {
    expect(fusibleSliceOffset(sliceOp(sliceModule('bm1684x', '[0, 2, 0, 0]')))).toBe(2 * 16 * 4);
    expect(fusibleSliceOffset(sliceOp(sliceModule('bm1684x', '[0, -4, 0, 0]')))).toBe(2 * 16 * 4);
    expect(fusibleSliceOffset(sliceOp(sliceModule('bm1684x', '[0, 1, 0, 0]', '[1, 1, 1, 1]', '1x3x4x4', 'i8')))).toBe(16);
    expect(fusibleSliceOffset(sliceOp(sliceModule('bm1684x', '[0, 0, 0, 0]', '[1, 2, 1, 1]')))).toBeUndefined(); // a step
    expect(fusibleSliceOffset(sliceOp(sliceModule('bm1684x', '[0, 0, 2, 0]', '[1, 1, 1, 1]', '1x6x2x4')))).toBeUndefined(); // 6 channels before H
    expect(fusibleSliceOffset(sliceOp(sliceModule('bm1684x', '[0, 1, 1, 0]', '[1, 1, 1, 1]', '1x3x3x4')))).toBeUndefined(); // two axes
    // Offsets per axis (ours: Gather lowering, top.Slice with axes) map onto their dims.
    expect(fusibleSliceOffset(sliceOp(sliceModule('bm1684x', '[5]', '[1]', '1x1x4x4', 'f32', '[1]')))).toBe(5 * 16 * 4);
    expect(fusibleSliceOffset(sliceOp(sliceModule('bm1684x', '[1]', '[1]', '1x6x3x4', 'f32', '[-2]')))).toBeUndefined(); // H after 6 channels
  });

  it('places the slice inside its input and keeps the input live for its readers', () => {
    const m = sliceModule('bm1684x', '[0, 2, 0, 0]');
    const plan = assignAddresses(m);
    checkMemoryPlan(plan);
    // x always live @G4; a [1,4) (b reads the slice at op 3) @G4+P; s = a + 128; b [3,5) @G4+2P.
    expect(value(plan, 'a')).toMatchObject({ addr: G4 + P, live: { start: 1, end: 4 } });
    expect(value(plan, 's')).toMatchObject({ addr: G4 + P + 128, size: 0, bytes: 192, inPlaceOf: 'a' });
    expect(value(plan, 'b')).toMatchObject({ addr: G4 + 2 * P });
    expect(plan.neuron.size).toBe(3 * P);
    expect(addressOf(sliceOp(m).result(0))).toBe(G4 + P + 128);
    // A slice planted past its input's buffer is caught.
    expect(() => checkMemoryPlan(plant(plan, 's', { addr: G4 + 2 * P - 64 }))).toThrow(/in-place result lies outside its buffer/);
  });

  it('copies on BM1684 (upstream never fuses there) and when the slice is not contiguous', () => {
    const bm1684 = assignAddresses(sliceModule('bm1684', '[0, 2, 0, 0]'));
    checkMemoryPlan(bm1684);
    expect(value(bm1684, 's').inPlaceOf).toBeUndefined();
    const strided = assignAddresses(sliceModule('bm1688', '[0, 0, 0, 0]', '[1, 2, 1, 1]'));
    checkMemoryPlan(strided);
    expect(value(strided, 's').inPlaceOf).toBeUndefined();
  });

  it('a slice of a weight takes the weight address plus its offset', () => {
    const m = parseMlir(
      `module @w attributes {module.chip = "bm1684x", module.state = "TPU_LOWERED"} {
  func.func @main(%arg0: tensor<1x4xf32>) -> tensor<1x4xf32> {
    %0 = "top.Input"(%arg0) : (tensor<1x4xf32>) -> tensor<1x4xf32> loc("x")
    %1 = "top.Weight"() : () -> tensor<3x4xf32> loc("w")
    %2 = "tpu.Slice"(%1) {axes = [], ends = [], offset = [1, 0], steps = [1, 1]} : (tensor<3x4xf32>) -> tensor<1x4xf32> loc("ws")
    %3 = "top.Add"(%0, %2) : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32> loc("y")
    return %3 : tensor<1x4xf32>
  }
}`,
      'w.mlir',
    );
    m.weights.set('w', { dtype: 'float32', shape: [3, 4], data: new Float32Array(12) } as never);
    const plan = assignAddresses(m);
    checkMemoryPlan(plan);
    expect(value(plan, 'ws')).toMatchObject({ region: 'coeff', addr: G4 + 16, inPlaceOf: 'w' });
  });
});

describe('BM1690 L2 SRAM', () => {
  const L2 = 0x6980000000 + 30 * 2 ** 40;
  const S = 4097 * P; // y, d, e: 1x4195328 f32, one page more than 16 MiB
  /** Ops: x 0, y 1, a 2, b 3, d 4, e 5, c 6, return 7. a is read by the next op only, b later, d by the next op. */
  const l2Module = () =>
    parseMlir(
      `module @l2 attributes {module.chip = "bm1690", module.state = "TPU_LOWERED"} {
  func.func @main(%arg0: tensor<1x1024xf32>, %arg1: tensor<1x4195328xf32>) -> (tensor<1x1024xf32>, tensor<1x4195328xf32>) {
    %0 = "top.Input"(%arg0) : (tensor<1x1024xf32>) -> tensor<1x1024xf32> loc("x")
    %1 = "top.Input"(%arg1) : (tensor<1x4195328xf32>) -> tensor<1x4195328xf32> loc("y")
    %2 = "top.Relu"(%0) : (tensor<1x1024xf32>) -> tensor<1x1024xf32> loc("a")
    %3 = "top.Relu"(%2) : (tensor<1x1024xf32>) -> tensor<1x1024xf32> loc("b")
    %4 = "top.Relu"(%1) : (tensor<1x4195328xf32>) -> tensor<1x4195328xf32> loc("d")
    %5 = "top.Relu"(%4) : (tensor<1x4195328xf32>) -> tensor<1x4195328xf32> loc("e")
    %6 = "top.Relu"(%3) : (tensor<1x1024xf32>) -> tensor<1x1024xf32> loc("c")
    return %6, %5 : tensor<1x1024xf32>, tensor<1x4195328xf32>
  }
}`,
      'l2.mlir',
    );

  it('offers inner activations to L2 SRAM (next-op readers first, largest first), not inputs or outputs', () => {
    const plan = assignAddresses(l2Module());
    checkMemoryPlan(plan);
    // One core: 16 MiB. d does not fit and stays in DDR; a @0; b (read later) overlaps a: @P.
    expect(plan.l2sram).toEqual({ addr: L2, size: 2 * P, capacity: 16 * 2 ** 20 });
    expect(value(plan, 'a')).toMatchObject({ region: 'l2sram', addr: L2 });
    expect(value(plan, 'b')).toMatchObject({ region: 'l2sram', addr: L2 + P });
    for (const n of ['x', 'y', 'd', 'e', 'c']) expect(value(plan, n).region, n).toBe('neuron');
    // DDR: x, y always live; d [4,6) and e [5,8) overlap, c [6,8) takes d's pages after it.
    expect(plan.neuron).toEqual({ addr: 2 * 2 ** 40, size: P + S + S + S });
  });

  it('two cores offer twice the SRAM: d goes first, a shares its bytes (not live together), b after d', () => {
    const plan = assignAddresses(l2Module(), { cores: 2 });
    checkMemoryPlan(plan);
    expect(plan.l2sram).toEqual({ addr: L2, size: S + P, capacity: 32 * 2 ** 20 });
    expect([value(plan, 'd').addr, value(plan, 'a').addr, value(plan, 'b').addr]).toEqual([L2, L2, L2 + S]);
    // The checker catches b planted onto a while both are live (ops 3).
    expect(() => checkMemoryPlan(plant(plan, 'b', { addr: L2 }))).toThrow(/overlap while both are live/);
  });
});
