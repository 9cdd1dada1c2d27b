// Shapes of ops that move data without computing on it: reshape, flatten, (un)squeeze, permute,
// transpose, depth-to-space, tile, expand, pad, upsample, interp.
import type { ShapeContext } from '../../shape-context.js';
import { broadcastShapes, fmt, product } from '../../shape-context.js';

/**
 * Reshape by the `shape` attribute, else by a constant `shapeT`: 0 copies the input dim at the
 * same index, one -1 takes what is left.
 */
export function reshapeShape(s: ShapeContext): number[] | undefined {
  const x = s.shape('input');
  if (!x) return undefined;
  const target = s.maybeInts('shape') ?? (s.isNone('shapeT') ? undefined : s.constant('shapeT'));
  if (!target) return undefined;
  const total = product(x);
  let free = -1;
  const out = target.map((d, i) => {
    if (d > 0) return d;
    if (d === 0) {
      if (i >= x.length) s.fail(`shape ${fmt(target)} copies dim ${i} of a rank-${x.length} input`);
      return x[i]!;
    }
    if (d !== -1 || free >= 0) s.fail(`shape ${fmt(target)} is not a valid target shape`);
    free = i;
    return 1;
  });
  const known = product(out);
  if (free >= 0) {
    if (known === 0 || total % known !== 0) s.fail(`cannot reshape ${fmt(x)} to ${fmt(target)}`);
    out[free] = total / known;
  } else if (known !== total) {
    s.fail(`cannot reshape ${fmt(x)} (${total} elements) to ${fmt(target)}`);
  }
  return out;
}

export function flattenShape(s: ShapeContext): number[] | undefined {
  const x = s.shape('input');
  if (!x) return undefined;
  if (x.length === 0) return [1];
  const start = s.axis(s.int('start_dim'), x.length);
  const end = s.axis(s.int('end_dim'), x.length);
  if (end < start) s.fail(`end_dim ${end} is before start_dim ${start}`);
  return [...x.slice(0, start), product(x.slice(start, end + 1)), ...x.slice(end + 1)];
}

/** Drops the given size-1 axes (all size-1 axes when none are given). TPU-MLIR keeps a scalar as [1]. */
export function squeezeShape(s: ShapeContext): number[] | undefined {
  const x = s.shape('input');
  if (!x) return undefined;
  const axes = s.ints('axes').map((a) => s.axis(a, x.length));
  for (const a of axes) if (x[a] !== 1) s.fail(`cannot squeeze axis ${a} of ${fmt(x)}: it is not 1`);
  const out = axes.length === 0 ? x.filter((d) => d !== 1) : x.filter((_, i) => !axes.includes(i));
  return out.length === 0 ? [1] : out;
}

/** Inserts size-1 axes; `axes` index the output. */
export function unsqueezeShape(s: ShapeContext): number[] | undefined {
  const x = s.shape('input');
  if (!x) return undefined;
  const rank = x.length + s.ints('axes').length;
  const axes = new Set(s.ints('axes').map((a) => s.axis(a, rank)));
  if (axes.size !== rank - x.length) s.fail('axes repeat');
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(axes.has(i) ? 1 : x[k++]!);
  return out;
}

export function permuteShape(s: ShapeContext): number[] | undefined {
  const x = s.shape('input');
  if (!x) return undefined;
  const order = s.ints('order');
  const sorted = [...order].sort((a, b) => a - b);
  if (order.length !== x.length || sorted.some((v, i) => v !== i)) {
    s.fail(`order ${fmt(order)} is not a permutation of ${x.length} axes`);
  }
  return order.map((o) => x[o]!);
}

export function transposeShape(s: ShapeContext): number[] | undefined {
  const x = s.shape('input');
  if (!x) return undefined;
  const a = s.axis(s.int('dim0'), x.length);
  const b = s.axis(s.int('dim1'), x.length);
  const out = [...x];
  [out[a], out[b]] = [x[b]!, x[a]!];
  return out;
}

/**
 * Depth2Space: [n, c, h, w] → [n, c/(bh·bw), h·bh, w·bw]; inversed (space-to-depth) the other
 * way. in_is_NCHW / out_is_NCHW false mean NHWC.
 */
export function depth2SpaceShape(s: ShapeContext): number[] | undefined {
  const x = s.shape('input');
  if (!x) return undefined;
  if (x.length !== 4) s.fail(`needs a rank-4 input, got ${fmt(x)}`);
  const [n, c, h, w] = s.bool('in_is_NCHW') ? x : [x[0]!, x[3]!, x[1]!, x[2]!];
  const bh = s.int('block_h');
  const bw = s.int('block_w');
  let out: number[];
  if (s.bool('is_inversed')) {
    if (h! % bh !== 0 || w! % bw !== 0) s.fail(`${h}×${w} is not divisible by the ${bh}×${bw} block`);
    out = [n!, c! * bh * bw, h! / bh, w! / bw];
  } else {
    if (c! % (bh * bw) !== 0) s.fail(`${c} channels do not divide into ${bh}×${bw} blocks`);
    out = [n!, c! / (bh * bw), h! * bh, w! * bw];
  }
  return s.bool('out_is_NCHW') ? out : [out[0]!, out[2]!, out[3]!, out[1]!];
}

/** Tile by the `tile` attribute or a constant `tileT`; the shorter list gets leading 1s. */
export function tileShape(s: ShapeContext): number[] | undefined {
  const x = s.shape('input');
  if (!x) return undefined;
  const tile = s.maybeInts('tile') ?? (s.isNone('tileT') ? undefined : s.constant('tileT'));
  if (!tile) return undefined;
  const rank = Math.max(x.length, tile.length);
  const xs = [...new Array<number>(rank - x.length).fill(1), ...x];
  const ts = [...new Array<number>(rank - tile.length).fill(1), ...tile];
  return xs.map((d, i) => d * ts[i]!);
}

/** Expand: broadcast the input against `shape` (or a constant `shapeT` when `shape` is empty). */
export function expandShape(s: ShapeContext): number[] | undefined {
  const x = s.shape('input');
  if (!x) return undefined;
  const attr = s.ints('shape');
  const shape = attr.length > 0 ? attr : s.isNone('shapeT') ? undefined : s.constant('shapeT');
  if (!shape) return undefined;
  return broadcastShapes(s, [x, shape]);
}

/** `paddings` holds every axis' "before" amount, then every "after" amount. */
export function padShape(s: ShapeContext): number[] | undefined {
  const x = s.shape('input');
  if (!x) return undefined;
  let p = s.ints('paddings');
  if (p.length === 0 && !s.isNone('paddingsT')) {
    const c = s.constant('paddingsT');
    if (!c) return undefined;
    p = c;
  }
  const r = x.length;
  if (p.length !== 2 * r) s.fail(`paddings has ${p.length} entries, a rank-${r} input needs ${2 * r}`);
  return x.map((d, i) => d + p[i]! + p[i + r]!);
}

/** Nearest-neighbour integer upscale of the last two axes. */
export function upsampleShape(s: ShapeContext): number[] | undefined {
  const x = s.shape('input');
  if (!x) return undefined;
  if (x.length < 2) s.fail(`needs rank ≥ 2, got ${fmt(x)}`);
  const out = [...x];
  out[x.length - 2]! *= s.int('scale_h');
  out[x.length - 1]! *= s.int('scale_w');
  return out;
}

/**
 * Interp: by a constant `target_shape` (the spatial sizes; for rank 4 [h, w]), else by
 * scale_h / scale_w (floor of dim × scale), as TPU-MLIR's shape inference does.
 */
export function interpShape(s: ShapeContext): number[] | undefined {
  const x = s.shape('input');
  if (!x) return undefined;
  const r = x.length;
  if (r < 3) s.fail(`needs rank ≥ 3, got ${fmt(x)}`);
  const out = [...x];
  const h = r >= 4 ? r - 2 : -1;
  const w = r - 1;
  if (!s.isNone('target_shape')) {
    const t = s.constant('target_shape');
    if (!t) return undefined;
    if (t.length < r - 2) s.fail(`target_shape ${fmt(t)} has fewer than ${r - 2} entries`);
    out[w] = t[r - 3]!;
    if (h >= 0) out[h] = t[r - 4]!;
    return out;
  }
  const sh = s.num('scale_h');
  const sw = s.num('scale_w');
  if (h >= 0 && sh > 0 && sw > 0) {
    out[h] = Math.floor(x[h]! * sh);
    out[w] = Math.floor(x[w]! * sw);
  } else if (sw > 0) {
    out[w] = Math.floor(x[w]! * sw);
  } else {
    s.fail('needs a target_shape or positive scales');
  }
  return out;
}
