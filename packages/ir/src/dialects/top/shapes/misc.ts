// Shapes of the remaining op families: shape-producing ops (Shape, ConstantFill, Range),
// detection post-processing, recurrent ops.
import type { ShapeContext } from '../../shape-context.js';
import { fmt } from '../../shape-context.js';

/** Shape: a 1-D tensor of the input's dims, sliced by start/end/step when given. */
export function shapeOpShape(s: ShapeContext): number[] | undefined {
  const x = s.shape('input');
  if (!x) return undefined;
  const r = x.length;
  const step = s.has('step') ? s.int('step') : 1;
  if (step === 0) s.fail('step is 0');
  const norm = (v: number): number => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
  const start = s.has('start') ? norm(s.int('start')) : 0;
  const end = s.has('end') ? norm(s.int('end')) : r;
  return [Math.max(0, Math.ceil((end - start) / step))];
}

/** ConstantFill: the output shape is the (constant) input's values. */
export function constantFillShape(s: ShapeContext): number[] | undefined {
  const dims = s.constant('input');
  if (!dims) return undefined;
  if (dims.some((d) => d < 0 || !Number.isInteger(d))) s.fail(`input ${fmt(dims)} is not a shape`);
  return dims;
}

/** Range: ceil((limit − start) / delta) elements; start and delta default to 0 and 1. */
export function rangeShape(s: ShapeContext): number[] | undefined {
  const scalar = (name: string, dflt: number): number | undefined => {
    if (s.isNone(name)) return dflt;
    const c = s.constant(name);
    return c?.length === 1 ? c[0] : undefined;
  };
  const start = scalar('start', 0);
  const limit = scalar('limit', Number.NaN);
  const delta = scalar('delta', 1);
  if (start === undefined || limit === undefined || delta === undefined || Number.isNaN(limit)) return undefined;
  if (delta === 0) s.fail('delta is 0');
  return [Math.max(0, Math.ceil((limit - start) / delta))];
}

/** SSD DetectionOutput: [batch, 1, keep_top_k, 7] rows of (image, label, score, x0, y0, x1, y1). */
export function detectionOutputShape(s: ShapeContext): number[] | undefined {
  const loc = s.shapesOf('inputs')?.[0];
  return loc ? [loc[0]!, 1, s.int('keep_top_k'), 7] : undefined;
}

/** YoloDetection: [batch, 1, keep_topk, 6] for batch 1 (x, y, w, h, cls, score), else 7 per row. */
export function yoloDetectionShape(s: ShapeContext): number[] | undefined {
  const first = s.shapesOf('inputs')?.[0];
  if (!first) return undefined;
  const batch = first[0]!;
  return [batch, 1, s.int('keep_topk'), batch === 1 ? 6 : 7];
}

/**
 * LSTM / GRU, ONNX layout: input [seq, batch, in] (batch_first: [batch, seq, in]);
 * Y [seq, dirs, batch, hidden] (batch_first: [batch, seq, dirs, hidden]);
 * Y_h / Y_c [dirs, batch, hidden] (batch_first: [batch, dirs, hidden]).
 */
export function recurrentShapes(states: number): (s: ShapeContext) => number[][] | undefined {
  return (s) => {
    const x = s.shape('input');
    if (!x) return undefined;
    if (x.length !== 3) s.fail(`needs a rank-3 input, got ${fmt(x)}`);
    const bf = s.bool('batch_first');
    const [seq, batch] = bf ? [x[1]!, x[0]!] : [x[0]!, x[1]!];
    const dirs = s.bool('bidirectional') ? 2 : 1;
    const h = s.int('hidden_size');
    const y = bf ? [batch, seq, dirs, h] : [seq, dirs, batch, h];
    const state = bf ? [batch, dirs, h] : [dirs, batch, h];
    return [y, ...new Array<number[]>(states).fill(state)];
  };
}
