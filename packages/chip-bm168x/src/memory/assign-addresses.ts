// address-assign for the BM168x processors (spec deploy.md §6.1, TPU-MLIR's BMAddressAssign):
// coefficients from COEFF_START, activations by liveness with the better of GmemAllocator's two
// strategies, from the chip's neuron start. Addresses go into the tensor types as TPU-MLIR prints
// them (`tensor<1x3x224x224xf32, 4294967296 : i64>`), the region bounds into module attributes;
// the returned plan is what the bmodel writer consumes.
import { getTarget, i64, isTensor, UserError, type Module, type TargetInfo, type Value } from '@tpu-quant/ir';
import { assignBuffers, noReuseAssign, type Allocation } from './allocators.js';
import { layoutCoefficients } from './coeff.js';
import { alignUp, elementBits, gmemBytes, setAddress } from './gmem-bytes.js';
import { computeLiveness, type ActivationBuffer } from './liveness.js';
import { ALWAYS_LIVE_END, type AddrMode, type IoTensor, type MemoryPlan, type ValuePlacement } from './plan.js';

export interface AssignAddressesOptions {
  /** Processor; default: the module's `module.chip`. */
  readonly chip?: string;
  /** Default `basic`. */
  readonly addrMode?: AddrMode;
  /** Reuse activation memory by liveness (default true); false gives every buffer its own bytes. */
  readonly reuse?: boolean;
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

export function assignAddresses(module: Module, opts: AssignAddressesOptions = {}): MemoryPlan {
  const state = stringAttr(module, 'module.state');
  if (state !== 'TPU_LOWERED') {
    throw new UserError('E_NOT_LOWERED', `address assignment needs a lowered tpu module (module.state is ${state ?? 'unset'})`, 'run convert-top-to-tpu first (model_deploy writes the lowered mlir)');
  }
  const target = targetOf(module, opts.chip);
  const addrMode = opts.addrMode ?? 'basic';
  const alignment = target.globalAlignment;
  const batch4N = target.int8Layout === '4N';
  const liveness = computeLiveness(module, { addrMode, batch4N });
  const f = module.funcs[0]!;

  const coeff = layoutCoefficients(module, f, coeffStart(target), alignment);
  const start = neuronStart(target, coeff.plan.addr + coeff.plan.size);

  // io_alone: inputs and outputs packed in their own region; everything else shares the neuron region.
  const ioBuffers = addrMode === 'io_alone' ? liveness.buffers.filter((b) => b.io) : [];
  const common = liveness.buffers.filter((b) => !ioBuffers.includes(b));
  const bufferAddr = new Map<ActivationBuffer, number>();
  let io: MemoryPlan['io'];
  let neuronAddr = start;
  if (addrMode === 'io_alone') {
    const tagged = target.gmem.tags?.activation !== undefined;
    if (target.family === 'bm1684' || (tagged && !target.gmem.tags?.io?.length)) {
      throw new UserError('E_ADDR_MODE', `addr_mode io_alone is not supported on ${target.name}`, 'use addr_mode=basic');
    }
    // Untagged BM1684X: IO first, neurons after it. Tagged chips: IO at the first IO tag.
    const ioAddr = tagged ? target.gmem.start + target.gmem.tags!.io![0]! : start;
    const ioSize = packSequentially(ioBuffers, alignment, ioAddr, bufferAddr);
    io = { addr: ioAddr, size: ioSize };
    if (!tagged) neuronAddr = start + ioSize;
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

  // Into the IR: weights, buffers and their in-place aliases, weight aliases, the signature.
  const regionOf = (b: ActivationBuffer): 'io' | 'neuron' => (ioBuffers.includes(b) ? 'io' : 'neuron');
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
        const a = coeff.addrOf.get(wa)!;
        setAddress(r, a);
        values.push({ name: r.name ?? '?', addr: a, bytes: gmemBytes(r.type), size: 0, live: { start: 0, end: ALWAYS_LIVE_END }, region: 'coeff', inPlaceOf: wa.name ?? '?' });
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
        size: owner ? alignUp(b.bytes, alignment) : 0,
        live: { start: b.start, end: b.end },
        region: regionOf(b),
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

  const neuronEnd = Math.max(neuronAddr, ...common.map((b) => bufferAddr.get(b)! + alignUp(b.bytes, alignment)));
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
    const addr = b ? bufferAddr.get(b)! + (b.aliasOffset.get(v) ?? 0) : (coeff.addrOf.get(v) ?? coeff.addrOf.get(liveness.weightAliases.get(v)!)!);
    const store = batch4N && elementBits(t) === 8 ? '4N' : '1N';
    return { name: v.name ?? '?', addr, bytes: gmemBytes(t, batch4N), shape: isTensor(t) ? [...t.shape] : [], store };
  };
  const plan: MemoryPlan = {
    chip: target.name,
    addrMode,
    alignment,
    coeff: coeff.plan,
    neuron: { addr: neuronAddr, size: neuronEnd - neuronAddr },
    ...(io ? { io } : {}),
    allocator: chosen.name,
    totals,
    values,
    inputs: liveness.inputs.map(ioTensor),
    outputs: liveness.outputs.map(ioTensor),
  };
  plans.set(module, plan);
  return plan;
}
