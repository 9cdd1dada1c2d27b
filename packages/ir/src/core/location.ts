// Locations. In TPU-MLIR the location *is* the tensor name: `loc("conv_out")`, and a multi-result
// op carries `loc(fused["a", "b"])`. Names key weights in the npz, dumps, calibration tables and
// qtables, so they must survive every rewrite.
import { deepEqual } from './equal.js';

export type Location =
  | { readonly kind: 'unknown' }
  | { readonly kind: 'name'; readonly name: string; readonly child?: Location }
  | { readonly kind: 'fused'; readonly locs: readonly Location[] }
  | { readonly kind: 'file'; readonly file: string; readonly line: number; readonly col: number };

export const unknownLoc: Location = { kind: 'unknown' };

export function nameLoc(name: string): Location {
  return { kind: 'name', name };
}

/** `fused["a", "b"]`: one name per result of a multi-result op. */
export function fusedLoc(names: readonly (string | Location)[]): Location {
  return { kind: 'fused', locs: names.map((n) => (typeof n === 'string' ? nameLoc(n) : n)) };
}

/** The tensor name of result `index` of an op at `loc`, or undefined when it has none. */
export function locName(loc: Location, index = 0): string | undefined {
  switch (loc.kind) {
    case 'name':
      return loc.name;
    case 'fused': {
      const part = loc.locs[index];
      return part === undefined ? undefined : locName(part, 0);
    }
    default:
      return undefined;
  }
}

export function locsEqual(a: Location, b: Location): boolean {
  return deepEqual(a, b);
}
