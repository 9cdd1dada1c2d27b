// Shapes of sliding-window ops: Conv, Deconv, pooling. Spatial attributes run over the kernel
// axes (1-D, 2-D or 3-D); pads list every axis' "before" amount, then every "after" amount
// ([top, left, bottom, right] in 2-D).
import type { ShapeContext } from '../../shape-context.js';

interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  pads: number[];
}

/** Pads after resolving `auto_pad` (ONNX's SAME_UPPER / SAME_LOWER / VALID / NOTSET). */
function resolvePads(s: ShapeContext, spatial: readonly number[], w: Window): number[] {
  const mode = s.has('auto_pad') ? s.str('auto_pad') : 'NOTSET';
  const r = w.kernel.length;
  if (mode === 'VALID') return new Array<number>(2 * r).fill(0);
  if (mode !== 'SAME_UPPER' && mode !== 'SAME_LOWER') return w.pads;
  const pads = new Array<number>(2 * r).fill(0);
  for (let i = 0; i < r; i++) {
    const out = Math.ceil(spatial[i]! / w.strides[i]!);
    const total = Math.max((out - 1) * w.strides[i]! + (w.kernel[i]! - 1) * w.dilations[i]! + 1 - spatial[i]!, 0);
    const small = Math.floor(total / 2);
    pads[i] = mode === 'SAME_UPPER' ? small : total - small;
    pads[i + r] = total - pads[i]!;
  }
  return pads;
}

function checkWindow(s: ShapeContext, inputRank: number, w: Window): void {
  const r = w.kernel.length;
  if (inputRank !== r + 2) s.fail(`input rank ${inputRank} does not fit a ${r}-D kernel`);
  if (w.strides.length !== r) s.fail(`strides has ${w.strides.length} entries, the kernel ${r} axes`);
  if (w.dilations.length !== r) s.fail(`dilations has ${w.dilations.length} entries, the kernel ${r} axes`);
  if (w.pads.length !== 2 * r) s.fail(`pads has ${w.pads.length} entries, expected ${2 * r}`);
  if (w.strides.some((x) => x <= 0)) s.fail('strides must be positive');
}

/** The window attributes; pools have no dilations (all 1). */
function windowOf(s: ShapeContext, dilated: boolean): Window {
  const kernel = s.ints('kernel_shape');
  const dilations = dilated ? s.ints('dilations') : ones(kernel.length);
  return { kernel, strides: s.ints('strides'), dilations, pads: s.ints('pads') };
}

function positive(s: ShapeContext, dims: number[]): number[] {
  if (dims.some((d) => d <= 0)) s.fail(`the window does not fit the input: output spatial dims [${dims.join(', ')}]`);
  return dims;
}

export function convShape(s: ShapeContext): number[] | undefined {
  const x = s.shape('input');
  const f = s.shape('filter');
  if (!x || !f) return undefined;
  const w = windowOf(s, true);
  checkWindow(s, x.length, w);
  const group = s.int('group');
  if (f[1]! * group !== x[1]) s.fail(`filter takes ${f[1]} channels per group × ${group} groups, the input has ${x[1]}`);
  const r = w.kernel.length;
  const spatial = x.slice(2);
  const pads = resolvePads(s, spatial, w);
  // `inserts` puts zeros between input pixels (a deconvolution expressed as a convolution).
  const inserts = s.maybeInts('inserts') ?? [];
  const out = spatial.map((d, i) => {
    const dIn = (d - 1) * ((inserts[i] ?? 0) + 1) + 1;
    const span = w.dilations[i]! * (w.kernel[i]! - 1) + 1;
    return Math.floor((dIn + pads[i]! + pads[i + r]! - span) / w.strides[i]!) + 1;
  });
  return [x[0]!, f[0]!, ...positive(s, out)];
}

export function deconvShape(s: ShapeContext): number[] | undefined {
  const x = s.shape('input');
  const f = s.shape('filter');
  if (!x || !f) return undefined;
  const w = windowOf(s, true);
  checkWindow(s, x.length, w);
  const r = w.kernel.length;
  const outPad = s.ints('output_padding');
  // TPU-MLIR's importer reorders a weight filter to [oc/g, ic, ...]; a computed one stays [ic, oc/g, ...].
  const fromWeight = s.value('filter')?.producer?.type === 'top.Weight';
  const oc = (fromWeight ? f[0]! : f[1]!) * s.int('group');
  const out = x.slice(2).map(
    (d, i) => (d - 1) * w.strides[i]! - w.pads[i]! - w.pads[i + r]! + w.dilations[i]! * (w.kernel[i]! - 1) + (outPad[i] ?? 0) + 1,
  );
  return [x[0]!, oc, ...positive(s, out)];
}

/**
 * MaxPool / AvgPool. An empty kernel_shape is a global pool. `ceil_mode` follows TPU-MLIR: it
 * grows the "after" pad by stride − ((in + 2·pad_before − k) mod stride), which equals ceiling
 * division when pads are symmetric. keepdims = false drops trailing 1s of the spatial dims.
 */
export function poolShape(s: ShapeContext): number[] | undefined {
  const x = s.shape('input');
  if (!x) return undefined;
  let w = windowOf(s, false);
  if (w.kernel.length === 0) {
    const r = x.length - 2;
    w = { kernel: x.slice(2), strides: ones(r), dilations: ones(r), pads: new Array<number>(2 * r).fill(0) };
  }
  checkWindow(s, x.length, w);
  const r = w.kernel.length;
  const pads = resolvePads(s, x.slice(2), w);
  if (s.has('ceil_mode') && s.bool('ceil_mode')) {
    for (let i = 0; i < r; i++) {
      const remain = (x[i + 2]! + 2 * pads[i]! - w.kernel[i]!) % w.strides[i]!;
      if (remain > 0) pads[i + r]! += w.strides[i]! - remain;
    }
  }
  const spatial = x.slice(2).map((d, i) => Math.floor((d + pads[i]! + pads[i + r]! - w.kernel[i]!) / w.strides[i]!) + 1);
  const out = [x[0]!, x[1]!, ...positive(s, spatial)];
  if (!s.bool('keepdims')) while (out.length > 2 && out[out.length - 1] === 1) out.pop();
  return out;
}

export function adaptivePoolShape(s: ShapeContext): number[] | undefined {
  const x = s.shape('input');
  if (!x) return undefined;
  const size = s.ints('output_size');
  if (x.length !== size.length + 2) s.fail(`output_size has ${size.length} entries for a rank-${x.length} input`);
  return [x[0]!, x[1]!, ...size];
}

function ones(n: number): number[] {
  return new Array<number>(n).fill(1);
}
