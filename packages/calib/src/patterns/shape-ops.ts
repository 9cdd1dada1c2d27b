// Shape-op detection: TPU-MLIR's ShapeOps (python/calibration/shape_ops.py, calibration spec
// §10.1). Ops that compute shapes (top.Shape / top.Size and what only moves their values around)
// should stay in float; run_calibration lists them in `<module>_shape_ops` for the user to merge
// into a qtable.
//
// The search works on MlirParser's view of the main function (parser-view.ts), names included.
import type { Module } from '@tpu-quant/ir';
import { parserView } from './parser-view.js';

const GENERATORS = new Set(['top.Shape', 'top.Size']);
const CONSUMERS = new Set(['top.Reshape', 'top.Interp']);
const TRANSPARENT = new Set(['top.Concat', 'top.Slice', 'top.Tile', 'top.Split', 'top.Pack', 'top.Repeat']);

/**
 * Names of the shape ops of `module`'s main function, in the order TPU-MLIR's fixed-point search
 * adds them (seeds first, in op order). Seeds are top.Shape / top.Size; repeated until nothing
 * changes: (1) forward from each shape op that is not a network output, a consumer that is a
 * network output joins, Reshape / Interp stop, transparent ops (Concat, Slice, Tile, Split, Pack,
 * Repeat) join; (2) backward, producers that are transparent or a top.Input join; (3) a consumer
 * all of whose producers are shape ops joins. Lists grow while they are walked, as Python's do.
 */
export function findShapeOps(module: Module): string[] {
  const { ops, nextOf, preOf, typeOf, networkOutputs } = parserView(module);
  const inputs = new Set(ops.filter((o) => o.type === 'top.Input' && o.name !== undefined).map((o) => o.name!));
  const isA = (set: ReadonlySet<string>) => (n: string): boolean => set.has(typeOf(n) ?? '');
  const isGenerator = isA(GENERATORS);
  const isConsumer = isA(CONSUMERS);
  const isTransparent = isA(TRANSPARENT);

  const shape: string[] = [];
  const member = new Set<string>();
  const add = (n: string): void => {
    shape.push(n);
    member.add(n);
  };
  for (const o of ops) if (o.name !== undefined && isGenerator(o.name)) add(o.name);

  for (;;) {
    let changed = false;
    for (let i = 0; i < shape.length; i++) {
      const op = shape[i]!;
      if (networkOutputs.has(op)) continue;
      for (const c of nextOf(op)) {
        if (member.has(c)) continue;
        if (networkOutputs.has(c) || (!isConsumer(c) && isTransparent(c))) {
          add(c);
          changed = true;
        }
      }
    }
    for (let i = 0; i < shape.length; i++) {
      for (const p of preOf(shape[i]!)) {
        if (member.has(p) || isGenerator(p)) continue;
        if (isTransparent(p) || inputs.has(p)) {
          add(p);
          changed = true;
        }
      }
    }
    for (let i = 0; i < shape.length; i++) {
      for (const c of nextOf(shape[i]!)) {
        if (member.has(c)) continue;
        if (preOf(c).every((p) => member.has(p))) {
          add(c);
          changed = true;
        }
      }
    }
    if (!changed) return shape;
  }
}
