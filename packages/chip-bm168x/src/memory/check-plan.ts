// An independent check of a memory plan: alignment, coefficient placement, and that no two
// buffers live at the same time share a byte (in-place aliases must sit inside their owner).
import { UserError } from '@tpu-quant/ir';
import type { MemoryPlan, ValuePlacement } from './plan.js';

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function span(name: string, addr: number, size: number): string {
  return `"${name}" [${hex(addr)}, ${hex(addr + size)})`;
}

function intersects(a0: number, a1: number, b0: number, b1: number): boolean {
  return a0 < b1 && b0 < a1;
}

function misaligned(what: string, addr: number, alignment: number): never {
  throw new UserError('E_MEMORY_MISALIGNED', `${what} at ${hex(addr)} is not aligned to ${hex(alignment)}`, 'a bug in address assignment');
}

function overlap(a: string, b: string, why: string): never {
  throw new UserError('E_MEMORY_OVERLAP', `${a} and ${b} overlap${why}`, 'a bug in address assignment: these tensors would overwrite each other');
}

/** Throws E_MEMORY_OVERLAP / E_MEMORY_MISALIGNED on the first problem; returns quietly otherwise. */
export function checkMemoryPlan(plan: MemoryPlan): void {
  const al = plan.alignment;
  const { coeff } = plan;
  if (coeff.addr % al !== 0) misaligned('the coefficient region', coeff.addr, al);
  const ws = [...coeff.weights].sort((a, b) => a.addr - b.addr);
  ws.forEach((w, i) => {
    if (w.addr % al !== 0) misaligned(`weight "${w.name}"`, w.addr, al);
    if (w.addr < coeff.addr || w.addr + w.bytes > coeff.addr + coeff.size) {
      overlap(span(w.name, w.addr, w.bytes), span('coefficient region', coeff.addr, coeff.size), ': the weight leaves its region');
    }
    const next = ws[i + 1];
    if (next && w.addr + w.bytes > next.addr) overlap(span(w.name, w.addr, w.bytes), span(next.name, next.addr, next.bytes), ' (coefficients)');
  });

  const regions = [
    { name: 'coefficient region', addr: coeff.addr, size: coeff.size },
    { name: 'neuron region', addr: plan.neuron.addr, size: plan.neuron.size },
    ...(plan.io ? [{ name: 'io region', addr: plan.io.addr, size: plan.io.size }] : []),
    // Each IO tag is its own address space (the tag sits in the high address bits).
    ...(plan.ioTags ?? []).map((t) => ({ name: `io tag ${t.tag}`, addr: t.addr, size: t.size })),
    ...(plan.l2sram ? [{ name: 'l2 sram', addr: plan.l2sram.addr, size: plan.l2sram.size }] : []),
  ];
  if (plan.l2sram && plan.l2sram.size > plan.l2sram.capacity) {
    overlap(span('l2 sram', plan.l2sram.addr, plan.l2sram.size), `its ${plan.l2sram.capacity} bytes`, ': the buffers do not fit');
  }
  for (let i = 0; i < regions.length; i++) {
    for (let j = i + 1; j < regions.length; j++) {
      const a = regions[i]!;
      const b = regions[j]!;
      if (intersects(a.addr, a.addr + a.size, b.addr, b.addr + b.size)) overlap(span(a.name, a.addr, a.size), span(b.name, b.addr, b.size), '');
    }
  }

  const owners = new Map<string, ValuePlacement>();
  const buffers: ValuePlacement[] = [];
  for (const v of plan.values) {
    if (v.inPlaceOf === undefined) {
      // io_tag_fuse packs the IO tensors of a tag back to back, unaligned (as upstream).
      const packed = v.region === 'io_tag' && plan.addrMode === 'io_tag_fuse';
      if (!packed && v.addr % al !== 0) misaligned(`tensor "${v.name}"`, v.addr, al);
      const r = v.region === 'io' ? plan.io : v.region === 'neuron' ? plan.neuron : v.region === 'l2sram' ? plan.l2sram : v.region === 'io_tag' ? plan.ioTags?.find((t) => t.tag === v.tag) : undefined;
      if (v.region === 'io_tag' && !r) overlap(span(v.name, v.addr, v.size), `io tag ${v.tag ?? '?'} (missing)`, ': the tensor has no tag region');
      if (r && (v.addr < r.addr || v.addr + v.size > r.addr + r.size)) {
        overlap(span(v.name, v.addr, v.size), span(`${v.region} region`, r.addr, r.size), ': the tensor leaves its region');
      }
      owners.set(v.name, v);
      buffers.push(v);
    }
  }
  for (const v of plan.values) {
    if (v.inPlaceOf === undefined || v.region === 'coeff') continue;
    const o = owners.get(v.inPlaceOf);
    if (!o || v.addr < o.addr || v.addr + v.bytes > o.addr + o.size) {
      overlap(span(v.name, v.addr, v.bytes), o ? span(o.name, o.addr, o.size) : `"${v.inPlaceOf}" (missing)`, ': an in-place result lies outside its buffer');
    }
  }
  // Sweep by address: each buffer against the ones starting below its end.
  buffers.sort((a, b) => a.addr - b.addr);
  for (let i = 0; i < buffers.length; i++) {
    const a = buffers[i]!;
    for (let j = i + 1; j < buffers.length && buffers[j]!.addr < a.addr + a.size; j++) {
      const b = buffers[j]!;
      if (b.size === 0 || a.size === 0) continue;
      if (intersects(a.live.start, a.live.end, b.live.start, b.live.end)) {
        overlap(span(a.name, a.addr, a.size), span(b.name, b.addr, b.size), ` while both are live (ops ${Math.max(a.live.start, b.live.start)}..${Math.min(a.live.end, b.live.end) - 1})`);
      }
    }
  }
}
