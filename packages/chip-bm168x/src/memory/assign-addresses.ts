// address-assign for the BM168x processors (spec deploy.md §6.1, TPU-MLIR's BMAddressAssign):
// coefficients from COEFF_START, activations by liveness with the better of GmemAllocator's two
// strategies, from the chip's neuron start. Addresses go into the tensor types as TPU-MLIR prints
// them (`tensor<1x3x224x224xf32, 4294967296 : i64>`), the region bounds into module attributes;
// the returned plan is what the bmodel writer consumes.
import { getTarget, i64, isTensor, UserError, type Func, type Module, type TargetInfo, type Value } from '@tpu-quant/ir';
import { assignBuffers, noReuseAssign, type Allocation } from './allocators.js';
import { layoutCoefficients } from './coeff.js';
import { alignUp, elementBits, gmemBytes, setAddress } from './gmem-bytes.js';
import { computeLiveness, type ActivationBuffer } from './liveness.js';
import { resolveAddrMode } from './addr-modes.js';
import { placeInL2Sram } from './l2sram.js';
import { ALWAYS_LIVE_END, type AddrMode, type IoTagRegion, type IoTensor, type MemoryPlan, type Region, type ValuePlacement } from './plan.js';

export interface AssignAddressesOptions {
  /** Processor; default: the module's `module.chip`. */
  readonly chip?: string;
  /** Default `basic`; `auto` is `basic` (as upstream); a mode the chip cannot do is E_ADDR_MODE. */
  readonly addrMode?: AddrMode | 'auto';
  /** Reuse activation memory by liveness (default true); false gives every buffer its own bytes. */
  readonly reuse?: boolean;
  /** num_core (default 1): BM1690 may use L2 SRAM / 8 per core. */
  readonly cores?: number;
}

const plans = new WeakMap<Module, MemoryPlan>();

/** The plan of the last address assignment of this module (the `address-assign` pass keeps it). */
export function memoryPlanOf(module: Module): MemoryPlan | undefined {
  return plans.get(module);
}

function stringAttr(module: Module, name: string): string | undefined {
  const a = module.attrs.get(name);
  return a?.kind === 'string' ? a.value : undefined;
}

function targetOf(module: Module, chip: string | undefined): TargetInfo {
  const name = (chip ?? stringAttr(module, 'module.chip') ?? '').toLowerCase();
  if (!name) throw new UserError('E_NO_CHIP', 'the module names no processor (module.chip)', 'pass chip=<processor> to address-assign');
  const t = getTarget(name);
  if (t.family === 'cv18xx') {
    throw new UserError('E_UNSUPPORTED', `address assignment for ${name} (CV18xx) is not available yet`, 'BM168x processors: bm1684, bm1684x, bm1688, bm1690, cv186x');
  }
  return t;
}

/** Where activations start: the ACTIVATION tag on chips with memory tags, else after the coefficients. */
function neuronStart(t: TargetInfo, coeffEnd: number): number {
  const g = t.gmem;
  return g.tags?.activation !== undefined ? g.start + g.tags.activation : coeffEnd;
}

function coeffStart(t: TargetInfo): number {
  const g = t.gmem;
  return g.coeffStart ?? g.start + (g.tags?.weight ?? 0);
}

/** Places `buffers` one after another from `base` (the io_alone IO region). */
function packSequentially(buffers: readonly ActivationBuffer[], alignment: number, base: number, addr: Map<ActivationBuffer, number>): number {
  let end = base;
  for (const b of buffers) {
    addr.set(b, end);
    end += alignUp(b.bytes, alignment);
  }
  return end - base;
}

interface GraphIo {
  readonly inputs: readonly Value[];
  readonly outputs: readonly Value[];
  /** Inputs then outputs, each once, without weights (which keep their coefficient address). */
  readonly all: readonly Value[];
}

/** The graph inputs (top.Input results) and outputs, as `module::getInputsOutputs` lists them. */
function graphIo(f: Func): GraphIo {
  const activation = (v: Value) => isTensor(v.type) && v.producer?.type !== 'top.Weight' && v.producer?.type !== 'top.None';
  const inputs = f.ops.filter((op) => op.type === 'top.Input').map((op) => op.result(0));
  const outputs = [...new Set(f.returnOp?.operands ?? [])].filter(activation);
  return { inputs, outputs: outputs.filter((v) => !inputs.includes(v)), all: [...new Set([...inputs, ...outputs])] };
}

/**
 * io_tag: the ≤ 5 largest IO tensors by bytes, largest first (upstream's std::sort leaves ties in
 * an unspecified order; here they keep inputs-then-outputs order).
 */
function largestIo(io: GraphIo, batch4N: boolean): Value[] {
  const bytes = new Map(io.all.map((v) => [v, gmemBytes(v.type, batch4N)]));
  return [...io.all].sort((a, b) => bytes.get(b)! - bytes.get(a)!).slice(0, 5);
}

export function assignAddresses(module: Module, opts: AssignAddressesOptions = {}): MemoryPlan {
  const state = stringAttr(module, 'module.state');
  if (state !== 'TPU_LOWERED') {
    throw new UserError('E_NOT_LOWERED', `address assignment needs a lowered tpu module (module.state is ${state ?? 'unset'})`, 'run convert-top-to-tpu first (model_deploy writes the lowered mlir)');
  }
  const target = targetOf(module, opts.chip);
  const addrMode = resolveAddrMode(opts.addrMode, target);
  const alignment = target.globalAlignment;
  const batch4N = target.int8Layout === '4N';
  const f = module.funcs[0];
  if (!f) throw new UserError('E_UNSUPPORTED', 'the module has no function to assign addresses in', 'deploy a module with a main function');
  const ioValues = graphIo(f);
  const tagged = addrMode === 'io_tag' ? largestIo(ioValues, batch4N) : addrMode === 'io_tag_fuse' ? ioValues.all : [];
  const pinned = new Set(addrMode === 'io_reloc' ? ioValues.all : tagged);
  const liveness = computeLiveness(module, { addrMode, batch4N, pinned });

  const coeff = layoutCoefficients(module, f, coeffStart(target), alignment);
  const start = neuronStart(target, coeff.plan.addr + coeff.plan.size);

  // io_alone: inputs and outputs packed in their own region; io_tag: the tagged IO take no neuron
  // memory; everything else (io_tag_fuse and io_reloc IO too, as upstream) shares the neuron region.
  const ioBuffers = addrMode === 'io_alone' ? liveness.buffers.filter((b) => b.io) : [];
  const tagBuffers = addrMode === 'io_tag' ? liveness.buffers.filter((b) => pinned.has(b.owner)) : [];
  let common = liveness.buffers.filter((b) => !ioBuffers.includes(b) && !tagBuffers.includes(b));
  const bufferAddr = new Map<ActivationBuffer, number>();
  // BM1690: L2 SRAM first (assignL2SRAM runs before the DDR assignment).
  const l2 = target.arch === 'BM1690' ? target.gmem.l2sram : undefined;
  let l2sram: MemoryPlan['l2sram'];
  const inL2 = new Set<ActivationBuffer>();
  if (l2) {
    const capacity = Math.floor(l2.size / 8) * Math.max(1, opts.cores ?? 1);
    const { offsets, used } = placeInL2Sram(f, common, liveness.outputs, capacity, (n) => alignUp(n, alignment));
    for (const [b, off] of offsets) {
      bufferAddr.set(b, l2.start + off);
      inL2.add(b);
    }
    common = common.filter((b) => !inL2.has(b));
    l2sram = { addr: l2.start, size: used, capacity };
  }
  let io: MemoryPlan['io'];
  let neuronAddr = start;
  if (addrMode === 'io_alone') {
    const hasTags = target.gmem.tags?.activation !== undefined;
    // Untagged BM1684X: IO first, neurons after it. Tagged chips: IO at the first IO tag.
    const ioAddr = hasTags ? target.gmem.start + target.gmem.tags!.io![0]! : start;
    const ioSize = packSequentially(ioBuffers, alignment, ioAddr, bufferAddr);
    io = { addr: ioAddr, size: ioSize };
    if (!hasTags) neuronAddr = start + ioSize;
  }
  const sized = common.map((b) => ({ start: b.start, end: b.end, size: alignUp(b.bytes, alignment) }));
  let chosen: Allocation;
  let totals: MemoryPlan['totals'];
  if (opts.reuse === false) {
    chosen = noReuseAssign(sized);
    totals = { FitFirstAssign: chosen.total, OpSizeOrderAssign: chosen.total };
  } else {
    ({ chosen, totals } = assignBuffers(sized));
  }
  common.forEach((b, i) => bufferAddr.set(b, neuronAddr + chosen.offsets[i]!));
  let neuronEnd = neuronAddr + chosen.total;
  const tagOf = new Map<ActivationBuffer, number>();
  let ioTags: IoTagRegion[] | undefined;
  const tagAddr = (k: number) => target.gmem.start + target.gmem.tags!.io![k]!;
  if (addrMode === 'io_tag') {
    // IO_ADDR[k] for the k-th largest (BMAddressAssign: sort_ios, then setAddress).
    ioTags = [];
    for (const [k, v] of tagged.entries()) {
      const b = liveness.bufferOf.get(v);
      if (!b) continue;
      bufferAddr.set(b, tagAddr(k));
      tagOf.set(b, k);
      ioTags.push({ tag: k, addr: tagAddr(k), size: alignUp(b.bytes, alignment) });
    }
  } else if (addrMode === 'io_tag_fuse') {
    // Inputs back to back from IO tag 0, outputs from IO tag 1, unaligned (getBytes); their neuron
    // pages stay reserved, as upstream overwrites the addresses after allocating them.
    ioTags = [];
    for (const [tag, vs] of [[0, ioValues.inputs], [1, ioValues.outputs]] as const) {
      let at = 0;
      for (const v of vs) {
        const b = liveness.bufferOf.get(v);
        if (!b || tagOf.has(b)) continue;
        bufferAddr.set(b, tagAddr(tag) + at);
        tagOf.set(b, tag);
        at += b.bytes;
      }
      ioTags.push({ tag, addr: tagAddr(tag), size: at });
    }
  } else if (addrMode === 'io_reloc') {
    // fix_addr_for_io_reloc: each IO tensor (inputs, then outputs) moves to its own aligned slot
    // after the neurons, its in-place results with it; the runtime relocates these addresses.
    for (const v of ioValues.all) {
      const b = liveness.bufferOf.get(v);
      if (!b || b.owner !== v) continue;
      bufferAddr.set(b, neuronEnd);
      neuronEnd += alignUp(b.bytes, alignment);
    }
  }

  // Into the IR: weights, buffers and their in-place aliases, weight aliases, the signature.
  const regionOf = (b: ActivationBuffer): Region => (inL2.has(b) ? 'l2sram' : tagOf.has(b) ? 'io_tag' : ioBuffers.includes(b) ? 'io' : 'neuron');
  // Fused tags pack unaligned bytes; everything else reserves whole alignment units.
  const reserved = (b: ActivationBuffer): number => (addrMode === 'io_tag_fuse' && tagOf.has(b) ? b.bytes : alignUp(b.bytes, alignment));
  const values: ValuePlacement[] = [];
  for (const op of f.ops) {
    for (const r of op.results) {
      const w = coeff.addrOf.get(r);
      if (w !== undefined) {
        setAddress(r, w);
        continue;
      }
      const wa = liveness.weightAliases.get(r);
      if (wa) {
        const a = coeff.addrOf.get(wa.weight)! + wa.offset;
        setAddress(r, a);
        values.push({ name: r.name ?? '?', addr: a, bytes: gmemBytes(r.type), size: 0, live: { start: 0, end: ALWAYS_LIVE_END }, region: 'coeff', inPlaceOf: wa.weight.name ?? '?' });
        continue;
      }
      const b = liveness.bufferOf.get(r);
      if (!b) continue;
      const a = bufferAddr.get(b)! + (b.aliasOffset.get(r) ?? 0);
      setAddress(r, a);
      const owner = b.owner === r;
      values.push({
        name: r.name ?? '?',
        addr: a,
        bytes: owner ? b.bytes : gmemBytes(r.type, batch4N),
        size: owner ? reserved(b) : 0,
        live: { start: b.start, end: b.end },
        region: regionOf(b),
        ...(tagOf.has(b) ? { tag: tagOf.get(b)! } : {}),
        ...(owner ? {} : { inPlaceOf: b.owner.name ?? '?' }),
      });
    }
  }
  for (const arg of f.args) {
    const input = arg.uses.find((u) => u.op.type === 'top.Input');
    const b = input && liveness.bufferOf.get(input.op.result(0));
    if (b) setAddress(arg, bufferAddr.get(b)!);
  }
  f.resultTypes = f.outputs.map((v) => v.type);

  const setI64 = (name: string, n: number) => module.attrs.set(name, { kind: 'int', value: n, type: i64 });
  setI64('module.coeff_addr', coeff.plan.addr);
  setI64('module.coeff_size', coeff.plan.size);
  setI64('module.neuron_addr', neuronAddr);
  setI64('module.neuron_size', neuronEnd - neuronAddr);
  if (io) {
    setI64('module.io_addr', io.addr);
    setI64('module.io_size', io.size);
  } else {
    module.attrs.delete('module.io_addr');
    module.attrs.delete('module.io_size');
  }

  const ioTensor = (v: Value): IoTensor => {
    const t = v.type;
    const b = liveness.bufferOf.get(v);
    const wa = liveness.weightAliases.get(v);
    const addr = b ? bufferAddr.get(b)! + (b.aliasOffset.get(v) ?? 0) : (coeff.addrOf.get(v) ?? coeff.addrOf.get(wa!.weight)! + wa!.offset);
    const store = batch4N && elementBits(t) === 8 ? '4N' : '1N';
    const tag = b && tagOf.get(b);
    return { name: v.name ?? '?', addr, bytes: gmemBytes(t, batch4N), shape: isTensor(t) ? [...t.shape] : [], store, ...(tag === undefined ? {} : { tag }) };
  };
  const plan: MemoryPlan = {
    chip: target.name,
    addrMode,
    alignment,
    coeff: coeff.plan,
    neuron: { addr: neuronAddr, size: neuronEnd - neuronAddr },
    ...(io ? { io } : {}),
    ...(ioTags ? { ioTags } : {}),
    ...(l2sram ? { l2sram } : {}),
    allocator: chosen.name,
    totals,
    values,
    inputs: liveness.inputs.map(ioTensor),
    outputs: liveness.outputs.map(ioTensor),
  };
  plans.set(module, plan);
  return plan;
}
