// The detect sample's pieces on synthetic data: YOLOX / YOLOv3 head decoding, class-wise NMS, and
// the map from network pixels back to the image for each resize mode.
import { describe, expect, test } from 'vitest';
import { preprocessConfig } from '@tpu-quant/calib';
import { decodeYolov3, decodeYolox, headKind, iou, netToImage, nmsPerClass, type Detection, type Output } from '../src/samples/index.js';

const det = (x0: number, y0: number, x1: number, y1: number, score: number, cls = 0): Detection => ({ x0, y0, x1, y1, score, cls });

describe('YOLOX decoding', () => {
  // 64x64 input: grids 8x8 (stride 8), 4x4 (16), 2x2 (32) = 84 rows of 5 + 3 classes
  const rows = 64 + 16 + 4;
  const c = 8;
  function output(set: (row: number[], r: number) => void): Output {
    const data = new Float32Array(rows * c);
    for (let r = 0; r < rows; r++) {
      const row = Array.from(data.subarray(r * c, (r + 1) * c));
      set(row, r);
      data.set(row, r * c);
    }
    return { name: 'output', shape: [1, rows, c], data };
  }

  test('recognises the head by its row count and decodes grid + stride boxes', () => {
    // row 64 + 4*1 + 2 = the stride-16 cell (gx 2, gy 1); tx=0.5, ty=0.25, w = e^0 * 16
    const out = output((row, r) => {
      if (r === 64 + 4 + 2) row.splice(0, 8, 0.5, 0.25, 0, Math.log(2), 0.9, 0.1, 0.8, 0.3);
    });
    expect(headKind([out], 64, 64)).toBe('yolox');
    const dets = decodeYolox(out, 64, 64, 0.25);
    expect(dets).toHaveLength(1);
    const d = dets[0]!;
    expect(d.cls).toBe(1);
    expect(d.score).toBeCloseTo(0.9 * 0.8, 6);
    // centre ((0.5 + 2) * 16, (0.25 + 1) * 16) = (40, 20); size 16 x 32
    expect([d.x0, d.y0, d.x1, d.y1].map((v) => Math.round(v * 1e4) / 1e4)).toEqual([32, 4, 48, 36]);
  });

  test('drops boxes under the score threshold (objectness x class probability)', () => {
    const out = output((row) => row.splice(4, 4, 0.5, 0.4, 0.1, 0.1)); // 0.2 everywhere
    expect(decodeYolox(out, 64, 64, 0.25)).toHaveLength(0);
    expect(decodeYolox(out, 64, 64, 0.2)).toHaveLength(rows);
  });

  test('other shapes are refused with the shapes named', () => {
    expect(() => headKind([{ name: 'o', shape: [1, 1001], data: new Float32Array(1001) }], 224, 224)).toThrow(/cannot decode detection outputs \[1,1001\]/);
  });
});

describe('YOLOv3 decoding', () => {
  test('anchors by grid size, sigmoid applied to raw heads, skipped for activated ones', () => {
    const nc = 2;
    const per = 5 + nc;
    const head = (g: number, fill: number): Output => ({ name: `h${g}`, shape: [1, 3 * per, g, g], data: new Float32Array(3 * per * g * g).fill(fill) });
    // raw logits: -10 everywhere (sigmoid ~0) except anchor 1 of the 2x2 head at cell (1, 0)
    const coarse = head(2, -10);
    const fine = head(4, -10);
    const plane = 4;
    const set = (k: number, v: number) => { coarse.data[(1 * per + k) * plane + 0 * 2 + 1] = v; };
    set(0, 0); set(1, 0); set(2, 0); set(3, Math.log(2)); set(4, 10); set(5, -10); set(6, 10);
    expect(headKind([fine, coarse], 64, 64)).toBe('yolov3');
    const dets = decodeYolov3([fine, coarse], 64, 64, 0.5);
    expect(dets).toHaveLength(1);
    const d = dets[0]!;
    // coarsest grid first -> tiny-yolov3 mask [3,4,5]: anchor 1 of it is (135, 169)
    expect(d.cls).toBe(1);
    expect((d.x0 + d.x1) / 2).toBeCloseTo(((0.5 + 1) / 2) * 64, 5);
    expect((d.y0 + d.y1) / 2).toBeCloseTo((0.5 / 2) * 64, 5);
    expect(d.x1 - d.x0).toBeCloseTo(135, 4);
    expect(d.y1 - d.y0).toBeCloseTo(2 * 169, 4);
    // an activated head (all values in [0, 1]) is read as probabilities directly
    const act = head(2, 0.5);
    expect(decodeYolov3([act, head(4, 0)], 64, 64, 0.25).every((x) => Math.abs(x.score - 0.25) < 1e-6)).toBe(true);
  });
});

describe('NMS', () => {
  test('IoU of corner boxes', () => {
    expect(iou(det(0, 0, 10, 10, 1), det(5, 0, 15, 10, 1))).toBeCloseTo(50 / 150, 12);
    expect(iou(det(0, 0, 10, 10, 1), det(10, 0, 20, 10, 1))).toBe(0);
  });

  test('suppresses overlaps within a class only, best first', () => {
    const kept = nmsPerClass([det(1, 0, 11, 10, 0.8), det(0, 0, 10, 10, 0.9), det(0, 0, 10, 10, 0.7, 1), det(30, 30, 40, 40, 0.6)], 0.45);
    expect(kept.map((d) => [d.score, d.cls])).toEqual([[0.9, 0], [0.7, 1], [0.6, 0]]);
  });
});

describe('network pixels -> image pixels', () => {
  const apply = (m: ReturnType<typeof netToImage>, x: number, y: number) => [(x + m.ox) * m.sx, (y + m.oy) * m.sy];

  test('letterbox at the top-left (YOLOX): 768x576 into 416x416', () => {
    const m = netToImage(preprocessConfig({ keep_aspect_ratio: true, pad_type: 'normal', pad_value: 114 }), 768, 576, 416, 416);
    expect(apply(m, 0, 0)).toEqual([0, 0]);
    expect(apply(m, 416, 312)).toEqual([768, 576]); // 576 * 416/768 = 312 rows of image
  });

  test('centred letterbox', () => {
    const m = netToImage(preprocessConfig({ keep_aspect_ratio: true, pad_type: 'center' }), 768, 576, 416, 416);
    expect(apply(m, 0, 52)).toEqual([0, 0]);
    expect(apply(m, 416, 364)).toEqual([768, 576]);
  });

  test('stretch to resize_dims, then centre crop', () => {
    const m = netToImage(preprocessConfig({ resize_dims: [256, 256] }), 512, 1024, 224, 224);
    expect(apply(m, -16, -16)).toEqual([0, 0]);
    expect(apply(m, 240, 240)).toEqual([512, 1024]);
  });

  test('short side scale', () => {
    const m = netToImage(preprocessConfig({ keep_aspect_ratio: true, keep_ratio_mode: 'short_side_scale' }), 200, 100, 50, 50);
    // 200x100 -> 100x50, centre 50x50 from x = 25
    expect(apply(m, 0, 0)).toEqual([50, 0]);
    expect(apply(m, 50, 50)).toEqual([150, 100]);
  });
});
