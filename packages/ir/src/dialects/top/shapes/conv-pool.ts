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

/** The window attributes of a convolution. */
function windowOf(s: ShapeContext): Window {
  return { kernel: s.ints('kernel_shape'), strides: s.ints('strides'), dilations: s.ints('dilations'), pads: s.ints('pads') };
}

function positive(s: ShapeContext, dims: number[]): number[] {
  if (dims.some((d) => d <= 0)) s.fail(`the window does not fit the input: output spatial dims [${dims.join(', ')}]`);
  return dims;
}

export function convShape(s: ShapeContext): number[] | undefined {
  const x = s.shape('input');
  const f = s.shape('filter');
  if (!x || !f) return undefined;
  const w = windowOf(s);
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
  const w = windowOf(s);
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
 * MaxPool / AvgPool. An empty kernel_shape is a global pool; `dilations` (our extension for ONNX
 * pools) defaults to 1. `ceil_mode` follows ONNX / PyTorch (what ORT computes): the output size
 * divides by the stride rounding up, then drops a last window that would start in the "after"
 * padding. TPU-MLIR's importer instead grows the after pad by stride − remainder, which keeps
 * such a window (and so disagrees with ORT on e.g. a 1x1 kernel with stride 2 on an even
 * input); ONNX-imported models need ORT's answer. keepdims = false drops trailing 1s of the
 * spatial dims.
 */
export function poolShape(s: ShapeContext): number[] | undefined {
  const x = s.shape('input');
  if (!x) return undefined;
  const kernel = s.ints('kernel_shape');
  let w: Window = kernel.length === 0
    ? { kernel: x.slice(2), strides: ones(x.length - 2), dilations: ones(x.length - 2), pads: new Array<number>(2 * (x.length - 2)).fill(0) }
    : { kernel, strides: s.ints('strides'), dilations: s.maybeInts('dilations') ?? ones(kernel.length), pads: s.ints('pads') };
  checkWindow(s, x.length, w);
  w = { ...w, pads: resolvePads(s, x.slice(2), w) };
  const ceil = s.has('ceil_mode') && s.bool('ceil_mode');
  const spatial = x.slice(2).map((d, i) => poolOutDim(d, w, i, ceil));
  const out = [x[0]!, x[1]!, ...positive(s, spatial)];
  if (!s.bool('keepdims')) while (out.length > 2 && out[out.length - 1] === 1) out.pop();
  return out;
}

/** One pooled axis' output size (ONNX's rule, see poolShape). */
function poolOutDim(d: number, w: Window, i: number, ceil: boolean): number {
  const r = w.kernel.length;
  const span = w.dilations[i]! * (w.kernel[i]! - 1) + 1;
  const room = d + w.pads[i]! + w.pads[i + r]! - span;
  const st = w.strides[i]!;
  let out = (ceil ? Math.ceil(room / st) : Math.floor(room / st)) + 1;
  if (ceil && (out - 1) * st >= d + w.pads[i]!) out--;
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
