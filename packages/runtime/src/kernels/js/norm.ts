// Normalisations and per-channel affine ops. Means and variances are taken in f64 over the
// normalised elements (population variance, as ONNX and PyTorch define them).
import type { NdArray } from '@tpu-quant/ir';
import { top } from '@tpu-quant/ir';
import type { KernelContext } from '../../registry.js';
import { input0, jsKernel, outShape } from '../../registry.js';
import { applyRelu, f32, normAxis, size } from '../../tensor.js';

/**
 * Normalises each of `groups` consecutive blocks of `len` elements; `affine(i, v)` applies the
 * weight/bias of element i of the block to the normalised value.
 */
function normalize(
  x: Float32Array, len: number, eps: number, affine: (block: number, i: number, v: number) => number, rms = false,
): Float32Array {
  const out = new Float32Array(x.length);
  const blocks = x.length / len;
  for (let b = 0; b < blocks; b++) {
    const base = b * len;
    let mean = 0;
    if (!rms) {
      for (let i = 0; i < len; i++) mean += x[base + i]!;
      mean /= len;
    }
    let v = 0;
    for (let i = 0; i < len; i++) v += (x[base + i]! - mean) ** 2;
    const inv = 1 / Math.sqrt(v / len + eps);
    for (let i = 0; i < len; i++) out[base + i] = affine(b, i, (x[base + i]! - mean) * inv);
  }
  return out;
}

const dataOf = (a: NdArray | undefined): Float32Array | undefined => a?.data as Float32Array | undefined;

jsKernel('LayerNorm', (ctx) => {
  const a = top.layerNormAttrs(ctx.op);
  const x = input0(ctx);
  const axis = normAxis(a.axis, x.shape.length);
  const len = size(x.shape.slice(axis));
  const w = dataOf(ctx.inputs[1]);
  const b = dataOf(ctx.inputs[2]);
  // weight/bias hold the normalised shape (or a suffix of it): index modulo their size
  const out = normalize(x.data as Float32Array, len, a.eps, (_, i, v) =>
    v * (w ? w[i % w.length]! : 1) + (b ? b[i % b.length]! : 0));
  return f32(outShape(ctx), out);
});

jsKernel('RMSNorm', (ctx) => {
  const a = top.rmsNormAttrs(ctx.op);
  const x = input0(ctx);
  const len = x.shape[x.shape.length - 1]!;
  const g = dataOf(ctx.inputs[1]);
  const out = normalize(x.data as Float32Array, len, a.eps, (_, i, v) => v * (g ? g[i]! : 1), true);
  return f32(outShape(ctx), out);
});

/** Per-channel weight/bias on blocks that each cover `perBlockChannels` channels of `spatial` elements. */
function channelAffine(ctx: KernelContext, channels: number, perBlockChannels: number, spatial: number) {
  const w = dataOf(ctx.inputs[1]);
  const b = dataOf(ctx.inputs[2]);
  return (block: number, i: number, v: number): number => {
    const c = ((block * perBlockChannels) % channels) + Math.floor(i / spatial);
    return v * (w ? w[c]! : 1) + (b ? b[c]! : 0);
  };
}

jsKernel('GroupNorm', (ctx) => {
  const a = top.groupNormAttrs(ctx.op);
  const x = input0(ctx);
  const c = x.shape[1]!;
  const spatial = size(x.shape.slice(2));
  const per = c / a.num_groups;
  const out = normalize(x.data as Float32Array, per * spatial, a.eps, channelAffine(ctx, c, per, spatial));
  return f32(outShape(ctx), out);
});

jsKernel('InstanceNorm', (ctx) => {
  const a = top.instanceNormAttrs(ctx.op);
  const x = input0(ctx);
  const c = x.shape[1]!;
  const spatial = size(x.shape.slice(2));
  const out = normalize(x.data as Float32Array, spatial, a.eps, channelAffine(ctx, c, 1, spatial));
  return f32(outShape(ctx), out);
});

/** y = x·scale[c] + bias[c] over axis 1. */
function perChannel(x: NdArray, scale: (c: number) => number, bias: (c: number) => number): Float32Array {
  const xd = x.data as Float32Array;
  const c = x.shape[1] ?? 1;
  const spatial = size(x.shape.slice(2));
  const out = new Float32Array(xd.length);
  for (let i = 0; i < xd.length; i++) {
    const ch = Math.floor(i / spatial) % c;
    out[i] = xd[i]! * scale(ch) + bias(ch);
  }
  return out;
}

jsKernel('Scale', (ctx) => {
  const a = top.scaleAttrs(ctx.op);
  const s = dataOf(ctx.inputs[1])!;
  const b = dataOf(ctx.inputs[2])!;
  const out = perChannel(input0(ctx), (c) => s[c]!, (c) => b[c]!);
  if (a.do_relu) applyRelu(out, a.relu_limit);
  return f32(outShape(ctx), out);
});

jsKernel('BatchNorm', (ctx) => {
  const a = top.batchNormAttrs(ctx.op);
  const [mean, variance, gamma, beta] = [1, 2, 3, 4].map((i) => dataOf(ctx.inputs[i]));
  const k = (c: number): number => (gamma ? gamma[c]! : 1) / Math.sqrt(variance![c]! + a.epsilon);
  const out = perChannel(input0(ctx), k, (c) => (beta ? beta[c]! : 0) - mean![c]! * k(c));
  if (a.do_relu) applyRelu(out, a.relu_limit);
  return f32(outShape(ctx), out);
});

/** LRN across channels: x / (bias + alpha/size·Σx²)^beta over a window of `size` channels. */
jsKernel('LRN', (ctx) => {
  const a = top.lrnAttrs(ctx.op);
  const x = input0(ctx);
  const xd = x.data as Float32Array;
  const [n, c] = [x.shape[0]!, x.shape[1]!];
  const spatial = size(x.shape.slice(2));
  const lo = Math.floor((a.size - 1) / 2);
  const hi = Math.ceil((a.size - 1) / 2);
  const out = new Float32Array(xd.length);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      for (let s = 0; s < spatial; s++) {
        let sq = 0;
        for (let k = Math.max(0, ch - lo); k <= Math.min(c - 1, ch + hi); k++) sq += xd[(b * c + k) * spatial + s]! ** 2;
        const i = (b * c + ch) * spatial + s;
        out[i] = xd[i]! / Math.pow(a.bias + (a.alpha / a.size) * sq, a.beta);
      }
    }
  }
  return f32(outShape(ctx), out);
});
