// Decoding the raw heads of the YOLO family into boxes in network-input pixels:
// - YOLOX (anchor-free): one [1, N, 5 + C] output over the stride-8/16/32 grids, objectness and
//   class scores already sigmoid (the official ONNX export), box = ((tx + gx)·s, (ty + gy)·s,
//   e^tw·s, e^th·s) as YOLOX's demo_postprocess decodes it;
// - YOLOv3 (anchors): one [1, 3·(5 + C), h, w] output per scale, decoded as TPU-MLIR's
//   detect_yolov3.py does (spec deploy.md §8.2): xy = sigmoid + cell, wh = e^t · anchor,
//   score = objectness · class probability. Heads whose values all lie in [0, 1] are taken as
//   already through sigmoid (exported with it inside).
// Each box keeps its best class, as the seed's decoder does; scores below `conf` are dropped.
import { UserError } from '@tpu-quant/ir';
import type { Output } from './run.js';

export interface Detection {
  /** corners in network-input pixels until mapped to the image */
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  score: number;
  cls: number;
}

export type HeadKind = 'yolox' | 'yolov3';

const YOLOX_STRIDES = [8, 16, 32];
/** darknet's yolov3-tiny.cfg / yolov3.cfg anchors and masks, coarsest grid first (spec §8.2) */
const TINY_ANCHORS = [[10, 14], [23, 27], [37, 58], [81, 82], [135, 169], [344, 319]];
const TINY_MASKS = [[3, 4, 5], [1, 2, 3]];
const V3_ANCHORS = [[10, 13], [16, 30], [33, 23], [30, 61], [62, 45], [59, 119], [116, 90], [156, 198], [373, 326]];
const V3_MASKS = [[6, 7, 8], [3, 4, 5], [0, 1, 2]];

/** Which decoder fits these outputs (by shape), or a user error naming what was found. */
export function headKind(outputs: readonly Output[], netH: number, netW: number): HeadKind {
  const shapes = outputs.map((o) => `[${o.shape.join(',')}]`).join(', ');
  if (outputs.length === 1 && outputs[0]!.shape.length === 3) {
    const [, n, c] = outputs[0]!.shape as [number, number, number];
    const cells = YOLOX_STRIDES.reduce((s, st) => s + Math.floor(netH / st) * Math.floor(netW / st), 0);
    if (n === cells && c > 5) return 'yolox';
  }
  if ((outputs.length === 2 || outputs.length === 3) && outputs.every((o) => o.shape.length === 4 && o.shape[1]! % 3 === 0 && o.shape[1]! / 3 > 5)) {
    return 'yolov3';
  }
  throw new UserError('E_UNSUPPORTED_MODEL', `cannot decode detection outputs ${shapes}`, `detect knows YOLOX heads ([1, N, 5+classes] over stride 8/16/32 grids of the ${netH}x${netW} input) and YOLOv3 heads (2 or 3 outputs [1, 3*(5+classes), h, w])`);
}

export function numClasses(outputs: readonly Output[], kind: HeadKind): number {
  return kind === 'yolox' ? outputs[0]!.shape[2]! - 5 : outputs[0]!.shape[1]! / 3 - 5;
}

export function decodeYolox(out: Output, netH: number, netW: number, conf: number): Detection[] {
  const c = out.shape[2]!;
  const d = out.data;
  const dets: Detection[] = [];
  let row = 0;
  for (const s of YOLOX_STRIDES) {
    const gh = Math.floor(netH / s);
    const gw = Math.floor(netW / s);
    for (let gy = 0; gy < gh; gy++) {
      for (let gx = 0; gx < gw; gx++, row++) {
        const o = row * c;
        const { cls, prob } = bestClass(d, o + 5, c - 5, 1);
        const score = d[o + 4]! * prob;
        if (score < conf) continue;
        const cx = (d[o]! + gx) * s;
        const cy = (d[o + 1]! + gy) * s;
        const w = Math.exp(d[o + 2]!) * s;
        const h = Math.exp(d[o + 3]!) * s;
        dets.push({ x0: cx - w / 2, y0: cy - h / 2, x1: cx + w / 2, y1: cy + h / 2, score, cls });
      }
    }
  }
  return dets;
}

export function decodeYolov3(outputs: readonly Output[], netH: number, netW: number, conf: number): Detection[] {
  // coarsest grid first, as the masks are listed
  const heads = [...outputs].sort((a, b) => a.shape[2]! * a.shape[3]! - b.shape[2]! * b.shape[3]!);
  const [anchors, masks] = heads.length === 2 ? [TINY_ANCHORS, TINY_MASKS] : [V3_ANCHORS, V3_MASKS];
  const dets: Detection[] = [];
  heads.forEach((head, k) => {
    const [, ch, gh, gw] = head.shape as [number, number, number, number];
    const per = ch / 3;
    const plane = gh * gw;
    const d = head.data;
    const activated = d.every((v) => v >= 0 && v <= 1);
    const sig = activated ? (v: number) => v : sigmoid;
    for (let a = 0; a < 3; a++) {
      const [aw, ah] = anchors[masks[k]![a]!]!;
      const base = a * per * plane;
      for (let gy = 0; gy < gh; gy++) {
        for (let gx = 0; gx < gw; gx++) {
          const at = (j: number) => d[base + j * plane + gy * gw + gx]!;
          let best = 0;
          let cls = 0;
          for (let j = 0; j < per - 5; j++) {
            const v = at(5 + j);
            if (v > best || j === 0) [best, cls] = [v, j];
          }
          const score = sig(at(4)) * sig(best);
          if (score < conf) continue;
          const cx = ((sig(at(0)) + gx) / gw) * netW;
          const cy = ((sig(at(1)) + gy) / gh) * netH;
          const w = Math.exp(at(2)) * aw!;
          const h = Math.exp(at(3)) * ah!;
          dets.push({ x0: cx - w / 2, y0: cy - h / 2, x1: cx + w / 2, y1: cy + h / 2, score, cls });
        }
      }
    }
  });
  return dets;
}

function sigmoid(v: number): number {
  return 1 / (1 + Math.exp(-v));
}

function bestClass(d: Float32Array, at: number, n: number, step: number): { cls: number; prob: number } {
  let cls = 0;
  let prob = d[at]!;
  for (let j = 1; j < n; j++) {
    const v = d[at + j * step]!;
    if (v > prob) [cls, prob] = [j, v];
  }
  return { cls, prob };
}
