// Class-wise non-maximum suppression with the standard IoU of corner boxes. (TPU-MLIR's
// detect_yolov3.py computes its IoU as if the corners were x, y, w, h with darknet's +1 pixel,
// spec deploy.md §8.2; we keep the correct overlap, a deliberate difference.)
import type { Detection } from './yolo-decode.js';

export function iou(a: Detection, b: Detection): number {
  const iw = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
  const ih = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (a.x1 - a.x0) * (a.y1 - a.y0) + (b.x1 - b.x0) * (b.y1 - b.y0) - inter;
  return union > 0 ? inter / union : 0;
}

/** Per class, highest score first, drop boxes overlapping a kept one by more than `threshold`. */
export function nmsPerClass(dets: readonly Detection[], threshold: number): Detection[] {
  const sorted = [...dets].sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  for (const d of sorted) {
    if (kept.every((k) => k.cls !== d.cls || iou(k, d) <= threshold)) kept.push(d);
  }
  return kept;
}
