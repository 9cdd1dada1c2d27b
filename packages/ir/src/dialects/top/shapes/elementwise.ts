// Shapes of elementwise ops: unary ops keep their input's shape; n-ary ops broadcast.
import type { ShapeContext } from '../../shape-context.js';
import { broadcastShapes } from '../../shape-context.js';

/** The shape of operand `name` (default `input`): unary activations, norms, casts. */
export function sameAs(name = 'input'): (s: ShapeContext) => number[] | undefined {
  return (s) => s.shape(name);
}

/** Numpy broadcasting over the variadic `inputs` (Add, Mul, Max, ...). */
export function broadcastInputs(s: ShapeContext): number[] | undefined {
  const shapes = s.shapesOf('inputs');
  if (!shapes) return undefined;
  if (shapes.length === 0) s.fail('needs at least one input');
  return broadcastShapes(s, shapes);
}

/** Broadcasting over named operands; absent (None) ones are skipped (Where's constant branches). */
export function broadcastOf(...names: string[]): (s: ShapeContext) => number[] | undefined {
  return (s) => {
    const shapes: number[][] = [];
    for (const n of names) {
      if (s.isNone(n)) continue;
      const sh = s.shape(n);
      if (!sh) return undefined;
      shapes.push(sh);
    }
    return broadcastShapes(s, shapes);
  };
}
